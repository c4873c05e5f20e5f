package tlsconn

// ForceKernelTLS makes s offer every TLS 1.3 session to the kernel even
// where the start-up probe found no kernel TLS, so that the fallback of a
// refused setsockopt runs where the kernel lacks the tls module.
func ForceKernelTLS(s *Server) { s.kernel = true }

// TLSStat reads /proc/net/tls_stat (kernel TLS counters, Linux
// Documentation/networking/tls.rst): name to value; nil without it.
var TLSStat = tlsStat
var NeedKernelTLS = needKernelTLS
