package redis

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Options configure a Broker. The zero value of each field means the
// documented default; URL is required unless Sentinel names a master.
type Options struct {
	// URL is redis://, rediss:// or unix://; required without Sentinel.
	// With Sentinel.MasterName it carries only what the data nodes need,
	// its host is not used: the scheme (rediss:// speaks TLS to the
	// sentinels and the data nodes alike), the user name and password of
	// the data nodes, and the database; default "redis://".
	URL string
	// Sentinel, when MasterName is set, finds the master through Redis
	// Sentinel and follows it through failovers; default none.
	Sentinel Sentinel
	// Cluster selects Redis Cluster and sharded pub/sub (SPUBLISH,
	// SSUBSCRIBE); default false (standalone, PUBLISH/SUBSCRIBE).
	Cluster bool
	// Prefix starts every key and channel name; default "fanout".
	Prefix string
	// NodeID names this node in the directory; default a random id, so a
	// restarted node never touches the entries of its former self or of
	// other nodes.
	NodeID string
	// NodeTTL is how long a node that stopped heartbeating but whose
	// pub/sub connection Redis still holds (a stalled process, a machine
	// cut off) keeps its directory entries before another node reaps
	// them; default 15s. Heartbeats run every NodeTTL/3, at most every
	// 500ms. A node whose connection is gone too (its process died) is
	// reaped after four heartbeats (2s by default), at most NodeTTL. The
	// two bound how long a crashed node's channels refuse publications
	// (its listener entries stay until the reap; see crashed.go).
	NodeTTL time.Duration
	// Timeout bounds each Redis call; default 2s.
	Timeout time.Duration
	// StrictRefusals makes a refused publication one no subscriber
	// received, at about 1.5 times Redis's CPU per publication; default
	// false. Both ways, a publication a listening node would miss is
	// never accepted (see plainpub.go):
	//   - false: a publication to a channel without history is a plain
	//     PUBLISH (SPUBLISH in a cluster) pipelined with the SCARD of the
	//     channel's listener set, Redis's cost of a plain publish. When
	//     fewer nodes received it than listen, or Redis did not answer in
	//     time, it is refused, yet the nodes that did receive it deliver
	//     it: a 503 is then ambiguous, as a timed-out request is, though
	//     the event never arrives after one published after its 503
	//     (late.go).
	//   - true: each publish runs as a Lua script that checks Redis's
	//     clock against the caller's deadline and every listening node's
	//     subscription before it publishes, so a refused publication is
	//     never delivered, not even after a stalled Redis resumes.
	// Publications to channels with history always run as a script.
	StrictRefusals bool
	// Logger receives connection-state changes; default discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "fanout"
	}
	if o.NodeID == "" {
		o.NodeID = randomID()
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = 15 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Sentinel names a master monitored by Redis Sentinel
// (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/).
// Every client of the broker, the one for commands and each pub/sub
// connection, asks the sentinels for the master's address when it
// connects, and the command client switches to a promoted replica on the
// sentinels' +switch-master event (or, should that be missed, at the next
// reconciliation, every SentinelRefresh).
type Sentinel struct {
	// MasterName is the name the sentinels monitor the master under
	// (the <master-name> of "sentinel monitor"); "" disables Sentinel.
	MasterName string
	// Addrs are the sentinels, host:port each; at least one is required
	// with MasterName. The others the sentinels know of are learnt from
	// them.
	Addrs []string
	// Username and Password authenticate to the sentinels (their
	// requirepass, or an ACL user), here or with a URL in the Redis
	// client's Sentinel form; default none. The data nodes' credentials
	// are URL's.
	Username string
	Password string
}

// SentinelRefresh is how often a Sentinel client asks the sentinels for
// the master even without a +switch-master event, so a missed event
// binds it to a demoted master for at most this long.
const SentinelRefresh = 2 * time.Second

// enabled reports whether a master name is set.
func (s Sentinel) enabled() bool { return s.MasterName != "" }

var errSentinelCluster = errors.New("redis: Sentinel and Cluster exclude each other (a Redis Cluster fails over by itself)")

// errClusterPrefix refuses a Prefix with braces in a Redis Cluster: the
// keys one script needs share a hash tag built from the prefix
// ({<prefix>:nodes}, keys.go), and braces inside it would make part of
// it the tag of the others, spreading them over slots (CROSSSLOT; Redis
// Cluster specification, "Hash tags",
// https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
var errClusterPrefix = errors.New("redis: in a Redis Cluster the prefix must not hold { or }: they would make part of it a hash tag and split the keys one script needs over slots")

// clientOption turns o into the options of the command client: the URL's,
// or with Sentinel the URL's data-node settings and the sentinels as the
// addresses to start from. A URL in the Redis client's own Sentinel form
// (redis://sentinel:26379?addr=other:26379&master_set=name: its hosts are
// the sentinels) is Sentinel too.
func (o Options) clientOption() (rueidis.ClientOption, error) {
	if o.Cluster && strings.ContainsAny(o.Prefix, "{}") {
		return rueidis.ClientOption{}, errClusterPrefix
	}
	u := o.URL
	if u == "" && o.Sentinel.enabled() {
		u = "redis://"
	}
	co, err := rueidis.ParseURL(u)
	if err != nil {
		return co, fmt.Errorf("redis: url: %w", err)
	}
	if o.Sentinel.enabled() {
		if co.Sentinel.MasterSet != "" {
			return co, errors.New("redis: the URL names a master_set and Sentinel a master name; give one")
		}
		if len(o.Sentinel.Addrs) == 0 {
			return co, errors.New("redis: Sentinel needs at least one sentinel address")
		}
		co.InitAddress = append([]string(nil), o.Sentinel.Addrs...)
		co.Sentinel.MasterSet = o.Sentinel.MasterName
	}
	if co.Sentinel.MasterSet == "" {
		return co, nil
	}
	switch {
	case o.Cluster:
		return co, errSentinelCluster
	case co.DialCtxFn != nil:
		return co, errors.New("redis: Sentinel needs a redis:// or rediss:// URL, not unix://")
	}
	co.Sentinel.Username = o.Sentinel.Username
	co.Sentinel.Password = o.Sentinel.Password
	// rueidis dials the sentinels with this dialer alone; its zero value
	// would wait on a silent sentinel without end.
	co.Sentinel.Dialer = net.Dialer{Timeout: o.Timeout, KeepAlive: rueidis.DefaultTCPKeepAlive}
	co.Sentinel.TopologyRefreshInterval = SentinelRefresh
	if co.TLSConfig != nil {
		// The data nodes' addresses come from the sentinels: verify each
		// against the address it is reached at, not the URL's host.
		co.TLSConfig.ServerName = ""
		co.Sentinel.TLSConfig = co.TLSConfig.Clone()
	}
	return co, nil
}

// addr names what the broker connects to, for logs and errors, without a
// password.
func (o Options) addr() string {
	if o.Sentinel.enabled() {
		return fmt.Sprintf("sentinel master %q via %v", o.Sentinel.MasterName, o.Sentinel.Addrs)
	}
	return redactURL(o.URL)
}
