// Package syncbuf is a byte buffer that one side writes while another
// reads: a test's log sink for a server's slog handler, or the output of
// a child process that exec's copying goroutine collects. It uses only
// the standard library, so that any package's tests may import it,
// including those of packages that internal/fantest imports.
//
// # Concurrency
//
// Every method of Buffer may be called from any goroutine. Max is set
// before the first Write and not changed afterwards.
package syncbuf
