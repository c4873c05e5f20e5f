package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net"

	"github.com/redis/rueidis"
)

// script is a Lua script of the publish path, sent by its SHA1 digest
// (EVALSHA): Redis then neither reads its text nor hashes it on every
// call, as it does for EVAL. Redis caches a script once any EVAL ran it,
// and forgets it on a restart, a failover to a replica or SCRIPT FLUSH;
// a call it answers NOSCRIPT did nothing and is sent again with EVAL
// (runScripts). See https://redis.io/docs/latest/commands/evalsha/.
//
// rueidis.Lua, which the broker's other scripts use, falls back the same
// way but one call at a time (Exec) or after a SCRIPT LOAD on every node
// per call (ExecMulti); a publish burst pipelines calls of two scripts in
// one round trip and must keep their order across a fallback, hence this.
type script struct{ src, sha string }

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// scriptCall is one call of a script.
type scriptCall struct {
	s          *script
	keys, args []string
}

func (b *Broker) evalsha(c scriptCall) rueidis.Completed {
	return b.client.B().Evalsha().Sha1(c.s.sha).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build()
}

func (b *Broker) eval(c scriptCall) rueidis.Completed {
	return b.client.B().Eval().Script(c.s.src).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build()
}

// runScripts sends calls as one pipeline of EVALSHA, in order, and
// returns their results. When Redis answered NOSCRIPT from some call on,
// those calls are sent again, with EVAL, in the same order; when a call
// after one answered NOSCRIPT did run (another client cached the script
// in between), nothing is sent again, since that would put the first
// after the later one, and the NOSCRIPT answers stand as failures.
//
// A call that failed on its way (its connection broke or timed out after
// it was written: rueidis fails every command pending on a connection it
// gives up, also those sent a moment ago) may still be in a stalled
// Redis and run there until its deadline, which is ctx's. So runScripts
// returns such a failure only once ctx is done: a caller answered 503
// earlier could send a publication that runs before the failed one.
func (b *Broker) runScripts(ctx context.Context, calls ...scriptCall) []rueidis.RedisResult {
	res := b.runScriptsOnce(ctx, calls)
	for _, r := range res {
		if mayStillRun(r.Error()) {
			<-ctx.Done()
			break
		}
	}
	return res
}

// mayStillRun reports whether a call that failed with err may still
// run in Redis: not a reply of Redis's (it ran, or was refused) nor a
// failure to connect (nothing was sent).
func mayStillRun(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := rueidis.IsRedisErr(err); ok {
		return false
	}
	var op *net.OpError
	return !errors.As(err, &op) || op.Op != "dial"
}

func (b *Broker) runScriptsOnce(ctx context.Context, calls []scriptCall) []rueidis.RedisResult {
	cmds := make(rueidis.Commands, len(calls))
	for i, c := range calls {
		cmds[i] = b.evalsha(c)
	}
	res := b.client.DoMulti(ctx, cmds...)
	first := -1
	for i, r := range res {
		if noScript(r.Error()) {
			first = i
			break
		}
	}
	if first < 0 {
		return res
	}
	for _, r := range res[first:] {
		if !noScript(r.Error()) {
			return res
		}
	}
	again := make(rueidis.Commands, 0, len(calls)-first)
	for _, c := range calls[first:] {
		again = append(again, b.eval(c))
	}
	copy(res[first:], b.client.DoMulti(ctx, again...))
	return res
}

// noScript reports whether err is Redis's NOSCRIPT: the script is not
// in its cache, and the call did nothing.
func noScript(err error) bool {
	re, ok := rueidis.IsRedisErr(err)
	return ok && re.IsNoScript()
}
