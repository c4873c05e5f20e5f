package server

// apiRate is limits.api_requests_per_second as httpapi takes it: 0 (off)
// becomes a negative value.
func (n *Node) apiRate() int {
	if r := n.cfg.Limits.APIRequestsPerSecond; r > 0 {
		return r
	}
	return -1
}
