package redis

import (
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

// historyKeys are KEYS[1..2] of the history scripts: stream, meta.
func (b *Broker) historyKeys(app, channel string) []string {
	tag := "{" + b.channelName(app, channel) + "}"
	return []string{tag + ":h", tag + ":m"}
}

// publishHistorySource appends one publication and publishes it, in one
// atomic step: ARGV the deadline (see expiredSource), epoch for a new
// stream, size, ttl in ms, the publication's JSON without a position,
// the pub/sub channel, the publish command. It returns {epoch, offset,
// receivers}, or -1 past the deadline, -2 when a node of the listener set
// KEYS[3] is not subscribed (heardSource). The position goes first into
// the JSON, so every node decodes it with the rest.
var publishHistorySource = expiredSource + heardSource(3, 6, 7) + `
local e = redis.call('HGET', KEYS[2], 'e')
if not e then
  e = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', e, 'o', 0)
end
local o = redis.call('HINCRBY', KEYS[2], 'o', 1)
local msg = '{"p":{"epoch":"' .. e .. '","offset":' .. o .. '},' .. string.sub(ARGV[5], 2)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '0-' .. o, 'm', msg)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local n = redis.call(ARGV[7], ARGV[6], msg)
return {e, o, n}
`

// readHistoryScript reads a stream: ARGV epoch for a new stream, ttl in
// ms, since epoch, since offset, limit (0: all), "f" or "b". A missing
// stream is created empty, so the position returned is one that later
// events continue. It returns {epoch, offset, oldest kept offset, {msgs}}.
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
local oldest = 0
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #first > 0 then oldest = tonumber(string.sub(first[1][1], 3)) end
local lo, hi = '-', '+'
local back = ARGV[6] == 'b'
if ARGV[3] == e then
  if back then
    if tonumber(ARGV[4]) <= 1 then return {e, o, oldest, {}} end
    hi = '(0-' .. ARGV[4]
  else
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

// publishKeptCmd is the command that appends p to its channel's stream
// and publishes it, for the publish pipeline: EVAL with the script's
// text, so a burst keeps its order in one round trip and Redis needs no
// prior SCRIPT LOAD (it caches the compiled script itself).
func (b *Broker) publishKeptCmd(p *broker.Publication, spec broker.HistorySpec, dl string) (rueidis.Completed, error) {
	p.Position = broker.Position{}
	msg, err := json.Marshal(p)
	if err != nil {
		return rueidis.Completed{}, err
	}
	return b.client.B().Eval().Script(publishHistorySource).Numkeys(3).Key(append(b.historyKeys(p.App, p.Channel), listenersKey(b.channelName(p.App, p.Channel)))...).Arg(
		dl, broker.NewEpoch(), strconv.Itoa(spec.Size), strconv.FormatInt(spec.TTL.Milliseconds(), 10),
		string(msg), b.channelName(p.App, p.Channel), b.publishVerb(),
	).Build(), nil
}

// setPosition reads the script's answer {epoch, offset, receivers} into p.
func setPosition(p *broker.Publication, r rueidis.RedisResult) bool {
	vals, err := r.ToArray()
	if err != nil || len(vals) != 3 {
		return false
	}
	epoch, _ := vals[0].ToString()
	off, _ := vals[1].AsInt64()
	p.Position = broker.Position{Epoch: epoch, Offset: uint64(off)}
	return true
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
