package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// History of a channel lives in two keys that share a hash tag with the
// channel's pub/sub channel name, so that in Redis Cluster both keys and
// the sharded pub/sub channel sit on one slot and one script can touch
// all three: a stream of the kept events (entry ids "0-<offset>", field
// "m" the publication as delivered) and a hash with the epoch "e" and
// the newest offset "o". Both expire TTL after the last event.
//
// The stream is trimmed approximately (XADD MAXLEN ~ size): Redis drops
// only whole macro nodes of the stream, so it keeps size events plus at
// most one node's worth (stream-node-max-entries / -bytes), and a trim
// costs nothing on most appends instead of an in-place delete on every
// one. Reads never return more than the newest size events: the read
// script treats offsets at or below newest-size as trimmed.
// See https://redis.io/docs/latest/commands/xadd/ (capped streams).

// historyKeys are KEYS[1..2] of the history scripts: stream, meta.
func (b *Broker) historyKeys(app, channel string) []string {
	tag := "{" + b.channelName(app, channel) + "}"
	return []string{tag + ":h", tag + ":m"}
}

// publishHistoryScript appends publications to their channels' streams
// and publishes them, each in one atomic step (the whole script is one):
// KEYS are stream, meta and listener set (listenersKey) for each
// publication; ARGV[1] the publish command, then six per publication:
// its deadline (see publishScript), epoch for a new stream, size, ttl in
// ms, its JSON without a position, the pub/sub channel. It returns one
// answer per publication, in order: {epoch, offset, receivers}, -1 when
// Redis ran it past the deadline, or -2 when a node of its listener set
// is not subscribed to the channel (as publishScript); a refused
// publication is neither appended nor published. The position goes
// first into the JSON, so every node decodes it with the rest. One call
// carries one publication or several (a burst, or concurrent publishes
// coalesced, see callQueue): the per-call cost of a script (about as
// much as the work of one publication) is paid once for all of them.
var publishHistoryScript = newScript(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = 'NUMSUB'
if ARGV[1] == 'SPUBLISH' then count = 'SHARDNUMSUB' end
local function heard(l, ch)
  local want = redis.call('SCARD', l)
  return want == 0 or redis.call('PUBSUB', count, ch)[2] >= want
end
local out = {}
for i = 1, #KEYS / 3 do
  local h, m, a = KEYS[3 * i - 2], KEYS[3 * i - 1], 6 * i - 4
  if now > tonumber(ARGV[a]) then
    out[i] = -1
  elseif not heard(KEYS[3 * i], ARGV[a + 5]) then
    out[i] = -2
  else
    local e = redis.call('HGET', m, 'e')
    if not e then
      e = ARGV[a + 1]
      redis.call('DEL', h)
      redis.call('HSET', m, 'e', e, 'o', 0)
    end
    local o = redis.call('HINCRBY', m, 'o', 1)
    local msg = '{"p":{"epoch":"' .. e .. '","offset":' .. o .. '},' .. string.sub(ARGV[a + 4], 2)
    redis.call('XADD', h, 'MAXLEN', '~', ARGV[a + 2], '0-' .. o, 'm', msg)
    redis.call('PEXPIRE', h, ARGV[a + 3])
    redis.call('PEXPIRE', m, ARGV[a + 3])
    out[i] = {e, o, redis.call(ARGV[1], ARGV[a + 5], msg)}
  end
end
return out
`)

// readHistoryScript reads a stream: ARGV epoch for a new stream, ttl in
// ms, since epoch, since offset, limit (0: all), "f" or "b", size. A
// missing stream is created empty, so the position returned is one that
// later events continue. Entries at or below offset-size are left over
// from approximate trimming and count as trimmed. It returns {epoch,
// offset, oldest kept offset, {msgs}}.
var readHistoryScript = rueidis.NewLuaScript(`
local e = redis.call('HGET', KEYS[2], 'e')
local o = 0
if not e then
  e = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', e, 'o', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
else
  o = tonumber(redis.call('HGET', KEYS[2], 'o'))
end
local floor = math.max(o - tonumber(ARGV[7]), 0)
local oldest = 0
local first = redis.call('XRANGE', KEYS[1], '(0-' .. floor, '+', 'COUNT', 1)
if #first > 0 then oldest = tonumber(string.sub(first[1][1], 3)) end
local lo, hi = '(0-' .. floor, '+'
local back = ARGV[6] == 'b'
if ARGV[3] == e then
  if back then
    if tonumber(ARGV[4]) <= 1 then return {e, o, oldest, {}} end
    hi = '(0-' .. ARGV[4]
  elseif tonumber(ARGV[4]) > floor then
    lo = '(0-' .. ARGV[4]
  end
end
local r
local n = tonumber(ARGV[5])
if back then
  if n > 0 then r = redis.call('XREVRANGE', KEYS[1], hi, lo, 'COUNT', n) else r = redis.call('XREVRANGE', KEYS[1], hi, lo) end
else
  if n > 0 then r = redis.call('XRANGE', KEYS[1], lo, hi, 'COUNT', n) else r = redis.call('XRANGE', KEYS[1], lo, hi) end
end
local msgs = {}
for i, x in ipairs(r) do msgs[i] = x[2][2] end
return {e, o, oldest, msgs}
`)

// maxLuaOffset keeps offsets passed to Lua exact (its numbers are doubles).
const maxLuaOffset = 1 << 53

// kept is one publication of a history channel on its way to the
// publish script: its KEYS and its six ARGV (publishHistoryScript).
type kept struct {
	p    *broker.Publication
	keys [3]string
	args [6]string
}

// newKept prepares p (its position cleared) for the publish script with
// deadline dl (redisDeadline).
func (b *Broker) newKept(p *broker.Publication, spec broker.HistorySpec, dl string) (kept, error) {
	p.Position = broker.Position{}
	msg, err := json.Marshal(p)
	if err != nil {
		return kept{}, err
	}
	keys := b.historyKeys(p.App, p.Channel)
	return kept{p: p, keys: [3]string{keys[0], keys[1], b.listenersOf(p.App, p.Channel)}, args: [6]string{
		dl, broker.NewEpoch(), strconv.Itoa(spec.Size), strconv.FormatInt(spec.TTL.Milliseconds(), 10),
		string(msg), b.channelName(p.App, p.Channel),
	}}, nil
}

// publishKeptCall is one call of the publish script for ks, so a burst
// keeps its order in one round trip. In a cluster, ks must share a
// slot.
func (b *Broker) publishKeptCall(ks []kept) scriptCall {
	keys := make([]string, 0, 3*len(ks))
	args := make([]string, 1, 1+6*len(ks))
	args[0] = b.publishVerb()
	for i := range ks {
		keys = append(keys, ks[i].keys[:]...)
		args = append(args, ks[i].args[:]...)
	}
	return scriptCall{s: publishHistoryScript, keys: keys, args: args}
}

// settleKept reads the publish script's answer r for ks, settled with s:
// see settle.
func (b *Broker) settleKept(ks []kept, r rueidis.RedisResult, s *settling) error {
	outs, err := b.keptAnswers(r, len(ks))
	if err != nil {
		return err
	}
	return b.settle(ks, outs, s)
}

// keptAnswers is the publish script's answer r as its n answers, one
// per publication.
func (b *Broker) keptAnswers(r rueidis.RedisResult, n int) ([]rueidis.RedisMessage, error) {
	if err := r.Error(); err != nil {
		b.refusals.add("redis publish failed", "", "", err.Error())
		return nil, broker.ErrUnavailable
	}
	outs, _ := r.ToArray()
	if len(outs) != n {
		b.opts.Logger.Warn("redis publish script: unexpected answer", "answers", len(outs), "want", n)
		return nil, broker.ErrUnavailable
	}
	return outs, nil
}

// settle gives each publication of ks its position from its answer in
// outs; the first that did not go out (past its deadline, reached no
// subscriber while this node held the channel when b.confirms read
// s.mark, before the script was sent; a malformed answer) makes the
// error; a refusal by the listener check is noted in s (explain.go).
func (b *Broker) settle(ks []kept, outs []rueidis.RedisMessage, s *settling) error {
	var first error
	for i, m := range outs {
		n, err := m.AsInt64() // -1: past the deadline
		if err != nil {
			vals, _ := m.ToArray()
			if len(vals) != 3 {
				first = cmp.Or(first, error(broker.ErrUnavailable))
				continue
			}
			epoch, _ := vals[0].ToString()
			off, _ := vals[1].AsInt64()
			ks[i].p.Position = broker.Position{Epoch: epoch, Offset: uint64(off)}
			n, _ = vals[2].AsInt64()
		}
		first = cmp.Or(first, b.sentTo(n, ks[i].p, s))
	}
	return first
}

// ReadHistory implements broker.History.
func (b *Broker) ReadHistory(ctx context.Context, app, channel string, spec broker.HistorySpec, q broker.HistoryQuery) (broker.HistoryPage, error) {
	if b.isClosed() {
		return broker.HistoryPage{}, broker.ErrClosed
	}
	dir := "f"
	if q.Backward {
		dir = "b"
	}
	ctx, cancel := b.call(ctx)
	defer cancel()
	vals, err := readHistoryScript.Exec(ctx, b.client, b.historyKeys(app, channel), []string{
		broker.NewEpoch(), strconv.FormatInt(spec.TTL.Milliseconds(), 10), q.Since.Epoch,
		strconv.FormatUint(min(q.Since.Offset, maxLuaOffset), 10), strconv.Itoa(max(q.Limit, 0)), dir,
		strconv.Itoa(spec.Size),
	}).ToArray()
	if err != nil || len(vals) != 4 {
		b.opts.Logger.Warn("redis history read failed", "err", err)
		return broker.HistoryPage{}, broker.ErrUnavailable
	}
	var page broker.HistoryPage
	page.Position.Epoch, _ = vals[0].ToString()
	top, _ := vals[1].AsInt64()
	oldest, _ := vals[2].AsInt64()
	page.Position.Offset, page.Oldest = uint64(top), uint64(oldest)
	msgs, _ := vals[3].AsStrSlice()
	page.Events = make([]broker.Publication, 0, len(msgs))
	for _, m := range msgs {
		var p broker.Publication
		if json.Unmarshal([]byte(m), &p) == nil {
			page.Events = append(page.Events, p)
		}
	}
	return page, nil
}
