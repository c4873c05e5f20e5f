package redis

import "github.com/redis/rueidis"

// The presence keys of one channel share a hash tag, so these scripts
// run on one cluster shard: KEYS[1] user → connections on every node,
// KEYS[2] user → user_info, KEYS[3] "node:user" → connections on a node,
// KEYS[4] the presence version, KEYS[5] user → token of its held
// departure (see grace.go).

// joinScript adds one connection: ARGV user, info, node field. It returns
// {first, members as HGETALL, the channel's presence version after it,
// returned}: returned is 1 when the first connection took the user's held
// departure (which its Settle then no longer finds).
// The version (KEYS[4]) counts joins and leaves in the order Redis
// applied them, so the members returned are exactly those of that
// version. When the channel has no member left it expires after ten
// minutes instead of going at once: a member event of before may still
// be on its way, and a version started again from 1 would let it
// through.
var joinScript = rueidis.NewLuaScript(`
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
local t = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local first = 0
if t == 1 then first = 1 end
local v = redis.call('INCR', KEYS[4])
redis.call('PERSIST', KEYS[4])
local back = 0
if first == 1 then back = redis.call('HDEL', KEYS[5], ARGV[1]) end
return {first, redis.call('HGETALL', KEYS[2]), v, back}
`)

// leaveScript removes one connection: ARGV user, node field, hold TTL in
// ms ("0": none). It returns {1, version} when that was the user's last
// connection anywhere (the version as joinScript's), else {0, 0}; with a
// hold TTL the last one is also held as a departure whose token is the
// version. A node entry that is already
// gone (reaped, or Redis lost it) changes nothing.
var leaveScript = rueidis.NewLuaScript(`
local n = redis.call('HINCRBY', KEYS[3], ARGV[2], -1)
if n <= 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
if n < 0 then return {0, 0} end
local t = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if t <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  local v = redis.call('INCR', KEYS[4])
  if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('PEXPIRE', KEYS[4], 600000) end
  if ARGV[3] ~= '0' then
    redis.call('HSET', KEYS[5], ARGV[1], v)
    redis.call('PEXPIRE', KEYS[5], ARGV[3])
  end
  return {1, v}
end
return {0, 0}
`)

// replaceScript sets a node's whole share of a channel at once: ARGV[1]
// is "node:", then triples user, info, connections. It removes the node's
// old entries, writes the new ones and returns the users left with no
// connection anywhere. With no triples it reaps a dead node.
var replaceScript = rueidis.NewLuaScript(`
local p = ARGV[1]
local want = {}
for i = 2, #ARGV, 3 do want[ARGV[i]] = true end
local f = redis.call('HGETALL', KEYS[3])
for i = 1, #f, 2 do
  if string.sub(f[i], 1, #p) == p then
    redis.call('HDEL', KEYS[3], f[i])
    redis.call('HINCRBY', KEYS[1], string.sub(f[i], #p + 1), -tonumber(f[i + 1]))
  end
end
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[3], p .. ARGV[i], ARGV[i + 2])
  redis.call('HINCRBY', KEYS[1], ARGV[i], tonumber(ARGV[i + 2]))
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
local gone = {}
for i = 1, #f, 2 do
  if string.sub(f[i], 1, #p) == p then
    local u = string.sub(f[i], #p + 1)
    if not want[u] and tonumber(redis.call('HGET', KEYS[1], u) or '0') <= 0 then
      redis.call('HDEL', KEYS[1], u)
      redis.call('HDEL', KEYS[2], u)
      table.insert(gone, u)
    end
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('PEXPIRE', KEYS[4], 600000) end
return gone
`)

// occupyScript adds node ARGV[1] to a channel's occupancy set KEYS[1]; it
// returns 1 when the node is the channel's first anywhere, 2 when it is
// and that took the channel's held vacancy (KEYS[2], see grace.go).
var occupyScript = rueidis.NewLuaScript(`
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1 then
  if redis.call('HDEL', KEYS[2], '` + vacancyField + `') == 1 then return 2 end
  return 1
end
return 0
`)

// vacateScript removes node ARGV[1] from KEYS[1]; it returns 1 when the
// node was the channel's last anywhere. Removing an absent node (reaped,
// or Redis lost it) returns 0, so one vacancy is reported once. ARGV[2],
// when not empty, is a token: the vacancy is then held in KEYS[2] for
// ARGV[3] ms.
var vacateScript = rueidis.NewLuaScript(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[2] ~= '' then
    redis.call('HSET', KEYS[2], '` + vacancyField + `', ARGV[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
  return 1
end
return 0
`)

// settleScript ends a held departure: KEYS[1] the held hash, ARGV field
// and token. It returns 1 when the departure was still held (and takes
// it), 0 when a return took it or a later departure replaced it.
var settleScript = rueidis.NewLuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
`)
