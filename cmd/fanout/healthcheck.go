package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthcheck probes a running node's /healthz (or /readyz) over loopback
// and exits 0 on HTTP 200, 1 otherwise. It exists for images without a
// shell or curl (the Containerfile's HEALTHCHECK, built FROM scratch).
func healthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fanout healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("FANOUT_ADDR", "127.0.0.1:6001"),
		"the node's --addr (env FANOUT_ADDR); a wildcard host (0.0.0.0, ::, empty) is probed on loopback")
	path := fs.String("path", "/healthz", "the path to probe: /healthz (liveness) or /readyz (readiness)")
	useTLS := fs.Bool("tls", false, "probe over https; the certificate is not verified (the probe only asks whether the local process answers)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fanout healthcheck [flags]\n\nGET http://ADDR/healthz on this host; exit 0 on HTTP 200, else 1.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	url, err := probeURL(*addr, *path, *useTLS)
	if err != nil {
		fmt.Fprintf(stderr, "fanout healthcheck: %v\n", err)
		return 2
	}
	client := &http.Client{
		Timeout: *timeout,
		// Loopback, and a certificate names the public host, not 127.0.0.1.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "fanout healthcheck: %s: %v\n", url, err)
		return 1
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "fanout healthcheck: %s: %s %s\n", url, resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return 0
}

// probeURL turns a listen address into the URL to probe: a wildcard or
// empty host becomes 127.0.0.1.
func probeURL(addr, path string, useTLS bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	if path == "" || path[0] != '/' {
		return "", fmt.Errorf("--path %q: want an absolute path such as /healthz", path)
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + path, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
