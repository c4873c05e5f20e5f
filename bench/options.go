package bench

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options configure one harness run. The zero value of every field means
// the default written next to it; Run fills them from flags.
type Options struct {
	Scenario   string        // "connect", "fanout", "churn" or "storm"
	URLs       []string      // default ws://127.0.0.1:6001; wss:// dials TLS (see TLS)
	AppID      string        // default "app-id"
	AppKey     string        // default "app-key"
	AppSecret  string        // default "app-secret"
	APIURL     string        // default: http:// (https:// for wss://) form of URLs[0]
	Conns      int           // default 1000
	Channels   int           // default 1 per 100 conns, at least 1
	Publishers int           // default 16
	Rate       float64       // events/s in total (fanout: published, storm: client events); default 100
	Size       int           // event data bytes; default 100
	Duration   time.Duration // hold / publish / churn time; default 10 s
	ConnRate   float64       // connects/s in total while ramping; default 2000
	MeasureAt  []int         // connection counts at which to read RSS; default none
	ServerPIDs []int         // processes whose RSS is summed
	RedisAddr  string        // fanout: host:port of a Redis whose CPU and commands per publish (INFO cpu, commandstats) are reported

	// BackToBack (fanout): each of the Publishers sends its next publish
	// as soon as the previous one is answered, unpaced (Rate is only the
	// progress display's estimate), for Duration or until MaxPublishes
	// were sent in all (default 200,000): the publish throughput one
	// node reaches, not a rate it is given.
	BackToBack   bool
	MaxPublishes int
	MetricsURL   string        // alternative RSS source: process_resident_memory_bytes
	Workers      int           // default ceil(Conns/15000)
	Out          string        // directory for results.json/.md/chart.png; default none
	Label        string        // default the scenario name
	Timeout      time.Duration // hard stop; default 10 min
	Settle       time.Duration // wait before reading RSS; default 2 s
	Quiet        bool          // no progress output

	// Storm: Senders of the Conns send client events at Rate in total;
	// a watcher probes every ProbeEvery (default 1 s).
	Senders    int
	ProbeEvery time.Duration

	// Auth: how each connection authenticates; the zero value is none.
	Auth AuthOptions

	// Transport is "ws" (default) or "sse": each connection is an idle
	// event stream, GET /app/{key}/sse?channel=NAME (connect only).
	Transport string

	// Protocol is "pusher" (default) or "centrifugo": Centrifugo's own
	// JSON protocol over WebSocket (/connection/websocket, connect and
	// subscribe commands, POST /api/publish with X-API-Key: AppSecret),
	// for comparing against Centrifugo with anonymous clients
	// (client.insecure), fanout or connect scenarios only.
	Protocol string

	// TLS: how wss:// and https:// URLs are verified; the zero value
	// trusts the system's roots.
	TLS TLSOptions

	// WorkerCmd is the command that starts a worker (it reads a config
	// line on stdin); default os.Executable() with args "bench worker".
	WorkerCmd []string
}

// MaxConnsPerWorker bounds the client sockets of one worker process,
// below the 20,000 open-file limit.
const MaxConnsPerWorker = 15000

type listFlag struct{ dst *[]string }

func (l listFlag) String() string { return "" }
func (l listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l.dst = append(*l.dst, s)
		}
	}
	return nil
}

func parseOptions(scenario string, args []string, stderr io.Writer) (Options, error) {
	o := Options{Scenario: scenario}
	fs := flag.NewFlagSet("fanout bench "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pids, measure []string
	fs.Var(listFlag{&o.URLs}, "url", "server WebSocket base URL (repeatable or comma-separated)")
	fs.StringVar(&o.AppID, "app-id", "app-id", "app id")
	fs.StringVar(&o.AppKey, "app-key", "app-key", "app key")
	fs.StringVar(&o.AppSecret, "app-secret", "app-secret", "app secret")
	fs.StringVar(&o.APIURL, "api-url", "", "HTTP API base (default from the first --url)")
	fs.IntVar(&o.Conns, "conns", 1000, "connections (churn: concurrency)")
	fs.IntVar(&o.Channels, "channels", 0, "channels the connections spread over (default conns/100)")
	fs.IntVar(&o.Publishers, "publishers", 16, "concurrent publishers (HTTP connections)")
	fs.Float64Var(&o.Rate, "rate", 100, "events/s published in total")
	fs.IntVar(&o.Size, "size", 100, "event data bytes")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "hold / publish / churn time")
	fs.Float64Var(&o.ConnRate, "conn-rate", 2000, "connects/s while ramping")
	fs.Var(listFlag{&measure}, "measure-at", "connection counts at which to read server RSS (e.g. 5000,18000)")
	fs.Var(listFlag{&pids}, "server-pid", "server process id for RSS (repeatable)")
	fs.StringVar(&o.RedisAddr, "redis-addr", "", "fanout: Redis host:port to read INFO cpu and commandstats from before and after publishing (Redis CPU and commands per publish)")
	fs.BoolVar(&o.BackToBack, "back-to-back", false, "fanout: each publisher sends the next publish when the previous is answered (no --rate), for --duration or --max-publishes")
	fs.IntVar(&o.MaxPublishes, "max-publishes", 200000, "fanout --back-to-back: publishes in all at most")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "Prometheus URL to read process_resident_memory_bytes")
	fs.IntVar(&o.Workers, "workers", 0, "worker processes (default ceil(conns/15000))")
	fs.StringVar(&o.Out, "out", "", "directory for results.json, results.md, chart.png")
	fs.StringVar(&o.Label, "label", "", "name of this run in tables and charts")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "hard stop")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "wait before reading RSS")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress output")
	fs.StringVar(&o.Transport, "transport", "ws", "ws, or sse: hold event streams (GET /app/{key}/sse?channel=...) instead of WebSockets; connect only")
	fs.StringVar(&o.Protocol, "protocol", "pusher", "pusher, or centrifugo: Centrifugo's JSON protocol (anonymous clients; publishes with X-API-Key = --app-secret)")
	fs.StringVar(&o.TLS.CAFile, "ca", "", "wss/https: PEM file of the CA (or self-signed certificate) to trust instead of the system's roots")
	fs.BoolVar(&o.TLS.Insecure, "insecure", false, "wss/https: do not verify the server's certificate")
	fs.StringVar(&o.TLS.ServerName, "sni", "", "wss/https: server name to send and verify (default the URL's host)")
	fs.IntVar(&o.Senders, "senders", 0, "storm: connections sending client events (default conns/15, at least 1)")
	fs.DurationVar(&o.ProbeEvery, "probe-every", time.Second, "storm: interval between watcher probes")
	a := &o.Auth
	fs.StringVar(&a.JWTSecret, "jwt-secret", "", "sign a JWT per connection with this HS256 secret")
	fs.StringVar(&a.KeyFile, "jwt-key", "", "sign a JWT per connection with this PEM private key (RSA, EC, Ed25519)")
	fs.StringVar(&a.Alg, "jwt-alg", "", "JWT algorithm (default HS256 with --jwt-secret, by key type with --jwt-key)")
	fs.StringVar(&a.SubPrefix, "jwt-sub-prefix", "user-", "JWT sub claim: this prefix plus the connection index")
	ttl := fs.Duration("jwt-ttl", time.Hour, "JWT exp claim: now plus this")
	fs.StringVar(&a.Channels, "jwt-channels", "", "JWT channels grant: comma-separated patterns, {sub} replaced (e.g. 'private-{sub}.*,presence-room-*'); as fanout token --channels")
	fs.StringVar(&a.TokenIn, "token-in", "query", "where the JWT goes: query (token=), header (Authorization: Bearer), protocol (Sec-WebSocket-Protocol bearer.<t>), cookie")
	fs.StringVar(&a.Cookie, "token-cookie", "fanout_token", "cookie name for --token-in cookie")
	fs.Float64Var(&a.Presence, "presence", 0, "share of connections (0..1) subscribing to presence-bench-N with HMAC-signed user data instead of bench-N")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	a.TTL = ttl.Seconds()
	for _, p := range pids {
		n, err := strconv.Atoi(p)
		if err != nil {
			return o, fmt.Errorf("--server-pid %q: not a number", p)
		}
		o.ServerPIDs = append(o.ServerPIDs, n)
	}
	for _, m := range measure {
		n, err := strconv.Atoi(m)
		if err != nil || n <= 0 {
			return o, fmt.Errorf("--measure-at %q: not a positive count", m)
		}
		o.MeasureAt = append(o.MeasureAt, n)
	}
	return o, o.fill()
}

// fill applies defaults and checks the options.
func (o *Options) fill() error {
	if len(o.URLs) == 0 {
		o.URLs = []string{"ws://127.0.0.1:6001"}
	}
	for _, u := range o.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "ws" && p.Scheme != "http" && !isTLSURL(p)) || p.Host == "" {
			return fmt.Errorf("--url %q: want ws://host:port or wss://host:port", u)
		}
		if isTLSURL(p) {
			if _, err := o.TLS.config(p.Host); err != nil {
				return err
			}
		}
	}
	if o.APIURL == "" {
		p, _ := url.Parse(o.URLs[0])
		scheme := "http://"
		if isTLSURL(p) {
			scheme = "https://"
		}
		o.APIURL = scheme + p.Host + strings.TrimRight(p.Path, "/")
	}
	o.AppID = or(o.AppID, "app-id")
	o.AppKey = or(o.AppKey, "app-key")
	o.AppSecret = or(o.AppSecret, "app-secret")
	if o.Conns <= 0 {
		o.Conns = 1000
	}
	if o.Channels <= 0 {
		o.Channels = max(1, o.Conns/100)
	}
	if o.Publishers <= 0 {
		o.Publishers = 16
	}
	if o.Rate <= 0 {
		o.Rate = 100
	}
	if o.MaxPublishes <= 0 {
		o.MaxPublishes = 200000
	}
	if o.Size <= 0 {
		o.Size = 100
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.ConnRate <= 0 {
		o.ConnRate = 2000
	}
	if o.Workers <= 0 {
		o.Workers = (o.Conns + MaxConnsPerWorker - 1) / MaxConnsPerWorker
	}
	if o.Workers > 200 {
		return fmt.Errorf("--workers %d: at most 200 (source addresses 127.0.0.2-201)", o.Workers)
	}
	if (o.Conns+o.Workers-1)/o.Workers > MaxConnsPerWorker {
		return fmt.Errorf("--workers %d: each would hold more than %d sockets", o.Workers, MaxConnsPerWorker)
	}
	o.Label = or(o.Label, o.Scenario)
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Second
	}
	sort.Ints(o.MeasureAt)
	if o.Senders <= 0 {
		o.Senders = max(1, o.Conns/15)
	}
	if o.Scenario == "storm" && o.Senders > o.Conns {
		return fmt.Errorf("--senders %d: more than --conns %d", o.Senders, o.Conns)
	}
	switch o.Transport {
	case "", "ws":
		o.Transport = "ws"
	case "sse":
		if o.Scenario != "connect" {
			return fmt.Errorf("--transport sse: only the connect scenario holds event streams")
		}
	default:
		return fmt.Errorf("--transport %q: want ws or sse", o.Transport)
	}
	switch o.Protocol {
	case "", "pusher":
		o.Protocol = "pusher"
	case "centrifugo":
		if (o.Scenario != "connect" && o.Scenario != "fanout") || o.Transport != "ws" || o.Auth.jwt() {
			return fmt.Errorf("--protocol centrifugo: connect and fanout scenarios over WebSocket, anonymous clients only")
		}
	default:
		return fmt.Errorf("--protocol %q: want pusher or centrifugo", o.Protocol)
	}
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = time.Second
	}
	return o.Auth.fill()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
