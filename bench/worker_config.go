package bench

// workerConfig is the first line a parent writes to a worker's stdin.
type workerConfig struct {
	Index    int      `json:"index"`
	Workers  int      `json:"workers"`
	URLs     []string `json:"urls"`     // ws://host:port base URLs
	Key      string   `json:"key"`      // app key
	SrcIPs   []string `json:"src_ips"`  // local addresses to bind, used in turn
	Channels int      `json:"channels"` // channel count; conn g joins bench-(g % Channels)
	Prefix   string   `json:"prefix"`   // channel name prefix
	Event    string   `json:"event"`    // name of published events
	Rate     float64  `json:"rate"`     // connects/s for this worker; 0 is unpaced
	Dialers  int      `json:"dialers"`  // concurrent dials; default 64
	Timeout  float64  `json:"timeout"`  // seconds a connect+subscribe may take; default 15
	Pollers  int      `json:"pollers"`  // netpoll epoll loops; 0 is netpoll's default
	Protocol string   `json:"protocol"` // "pusher" or "centrifugo"

	Secret  string      `json:"secret,omitempty"`  // app secret, for private/presence channel auth
	Channel string      `json:"channel,omitempty"` // one channel for every connection (storm); "" spreads
	Auth    AuthOptions `json:"auth"`
	TLS     TLSOptions  `json:"tls"`           // for wss:// URLs
	SSE     bool        `json:"sse,omitempty"` // event streams (GET /app/{key}/sse) instead of WebSockets
}

// command is a later line on a worker's stdin.
type command struct {
	Cmd  string  `json:"cmd"`            // "grow", "churn", "send" or "stop"
	N    int     `json:"n"`              // grow: connections this worker should hold; churn: concurrency; send: senders
	Secs float64 `json:"secs"`           // churn, send: duration
	Rate float64 `json:"rate,omitempty"` // send: client events/s from this worker
	Size int     `json:"size,omitempty"` // send: event data bytes
}

// report is one line a worker writes to stdout.
type report struct {
	Type       string         `json:"type"` // "progress", "reached", "result", "error"
	Worker     int            `json:"worker"`
	Open       int64          `json:"open"`       // connections currently subscribed
	Subscribed uint64         `json:"subscribed"` // subscriptions succeeded so far
	Closed     uint64         `json:"closed"`     // closes the worker asked for
	Failed     uint64         `json:"failed"`
	Failures   map[string]int `json:"failures,omitempty"`
	Delivered  uint64         `json:"delivered"`
	Sent       uint64         `json:"sent,omitempty"`    // client events sent
	Refused    uint64         `json:"refused,omitempty"` // pusher:error answers on subscribed connections
	N          int            `json:"n,omitempty"`
	Hist       *sparse        `json:"hist,omitempty"`
	SubHist    *sparse        `json:"sub_hist,omitempty"` // dial → subscribed, ns
	Error      string         `json:"error,omitempty"`
}

// channelOf is the channel index of global connection g.
func channelOf(g, channels int) int {
	if channels <= 0 {
		return 0
	}
	return g % channels
}

// share is how many of n connections worker w of workers holds; worker w
// holds the global indexes w, w+workers, w+2*workers, ...
func share(n, w, workers int) int {
	s := n / workers
	if w < n%workers {
		s++
	}
	return s
}
