package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts that read and write the data. Redis runs a script
// atomically, so each one sees and leaves a consistent state. ARGV[1] is
// always the key root (the prefix followed by "storegen:"); the other
// names are built from it:
//
//	root.."version"      the number of the last commit (absent means 0)
//	root.."data"         hash: key -> value
//	root.."keys"         sorted set of the keys, all scored 0, so that
//	                     ZRANGEBYLEX orders them bytewise
//	root.."undo:"..n     hash: key -> the value commit n replaced, "1"..value
//	                     or "0" for none; the field "" marks the log present
//	root.."undokeys:"..n sorted set of the keys of undo:n, for ranges
//
// The scripts name keys they compute, which Redis Cluster forbids; the
// engine runs on a single Redis server (or a primary with replicas).

// commitScript applies a transaction's writes if no other commit came
// since the version it read at, and records what they replaced.
//
//	ARGV: root, expected version, undo retention in ms, ops, then a key
//	      and a value for each op ("s" set, "d" delete; the value of a
//	      delete is empty)
//	reply: {1, new version} or {0, current version} when the race was lost
var commitScript = goredis.NewScript(commitLua)

const commitLua = `
local root, expect, ttl, ops = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local now = tonumber(redis.call('GET', root .. 'version') or '0')
if now ~= expect then return {0, now} end
local n = now + 1
local data, keys = root .. 'data', root .. 'keys'
local undo, undokeys = root .. 'undo:' .. n, root .. 'undokeys:' .. n
redis.call('HSET', undo, '', '1')
for i = 1, #ops do
  local k, v = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local set = string.byte(ops, i) == 115
  local old = redis.call('HGET', data, k)
  if old or set then
    if old then
      redis.call('HSET', undo, k, '1' .. old)
    else
      redis.call('HSET', undo, k, '0')
    end
    redis.call('ZADD', undokeys, 0, k)
    if set then
      redis.call('HSET', data, k, v)
      if not old then redis.call('ZADD', keys, 0, k) end
    else
      redis.call('HDEL', data, k)
      redis.call('ZREM', keys, k)
    end
  end
end
redis.call('PEXPIRE', undo, ttl)
redis.call('PEXPIRE', undokeys, ttl)
redis.call('SET', root .. 'version', n)
return {1, n}
`

// Reply codes of the read scripts.
const (
	replyGone    = -1 // the snapshot's undo logs expired, or the data was reset
	replyMissing = 0  // no value
	replyValue   = 1  // the current value
	replyUndo    = 2  // a value from an undo log, still encoded
)

// getScript reads one key as it was at a version: the value the first
// later commit replaced, if one touched the key, else the current value.
//
//	ARGV: root, version, key
//	reply: {code} or {code, value}
var getScript = goredis.NewScript(getLua)

const getLua = `
local root, at, key = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now = tonumber(redis.call('GET', root .. 'version') or '0')
if now < at then return {-1} end
for n = at + 1, now do
  local u = redis.call('HMGET', root .. 'undo:' .. n, '', key)
  if not u[1] then return {-1} end
  if u[2] then return {2, u[2]} end
end
local v = redis.call('HGET', root .. 'data', key)
if v then return {1, v} end
return {0}
`

// rangeScript reads the first entries of a key range from the current
// data and from the undo log of every commit after a version; the caller
// merges them into the range as it was at that version. Each source stops
// after limit keys or once its keys and values exceed budget bytes (but
// holds at least one entry), and says whether it may hold more.
//
//	ARGV: root, version, min, max (ZRANGEBYLEX bounds), "1" for
//	      descending order, limit, budget
//	reply: {-1} or {current version, source, source, ...} where the first
//	      source is the current data, then the undo logs in commit order,
//	      and a source is {keys, values, 1 if it may hold more else 0}
var rangeScript = goredis.NewScript(rangeLua)

const rangeLua = `
local root, at = ARGV[1], tonumber(ARGV[2])
local min, max, rev = ARGV[3], ARGV[4], ARGV[5] == '1'
local limit, budget = tonumber(ARGV[6]), tonumber(ARGV[7])
local now = tonumber(redis.call('GET', root .. 'version') or '0')
if now < at then return {-1} end
local function scan(zset, hash)
  local ks
  if rev then
    ks = redis.call('ZREVRANGEBYLEX', zset, max, min, 'LIMIT', 0, limit)
  else
    ks = redis.call('ZRANGEBYLEX', zset, min, max, 'LIMIT', 0, limit)
  end
  if #ks == 0 then return {ks, {}, 0} end
  local more = 0
  if #ks == limit then more = 1 end
  local vs = redis.call('HMGET', hash, unpack(ks))
  local size = 0
  for i = 1, #ks do
    size = size + #ks[i] + #(vs[i] or '')
    if size > budget and i < #ks then
      for j = #ks, i + 1, -1 do
        ks[j] = nil
        vs[j] = nil
      end
      more = 1
      break
    end
  end
  return {ks, vs, more}
end
local out = {now, scan(root .. 'keys', root .. 'data')}
for n = at + 1, now do
  local u = root .. 'undo:' .. n
  if redis.call('EXISTS', u) == 0 then return {-1} end
  out[#out + 1] = scan(root .. 'undokeys:' .. n, u)
end
return out
`
