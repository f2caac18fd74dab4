import { RedisScript } from './redis-script.ts';

/*
 * Lua scripts of RedisSessionStore. A session hash `<prefix>session:<id>` has `data`, `expiresAt`
 * and, when known, `sid`, `subject`, `accountId`, `signedInAt`; index sets `<prefix>sid:<sid>`,
 * `<prefix>subject:<subject>` and `<prefix>accountId:<accountId>` hold session ids. Each script changes a session and its index entries
 * together, so no instance ever sees one without the other.
 *
 * The scripts build the old index keys from the prefix and the hash's fields, i.e. they touch keys
 * not passed in KEYS: fine on one Redis (or a primary with replicas), not on Redis Cluster.
 */

/**
 * Creates or replaces a session, moving its index entries.
 * KEYS[1] session hash; ARGV: prefix, id, data, index JSON ({sid?, subject?, accountId?, signedInAt? as text}),
 * expiresAt, ttlMs, now, onlyIfLive ('1': update, writes nothing unless the session exists unexpired).
 * An index set lives as long as its longest-lived member: its PEXPIRE is only ever extended.
 */
export const SAVE_SESSION = new RedisScript(`
local key, prefix, id = KEYS[1], ARGV[1], ARGV[2]
local ttl = tonumber(ARGV[6])
local old = redis.call('HMGET', key, 'expiresAt', 'sid', 'subject', 'accountId')
if ARGV[8] == '1' and (not old[1] or tonumber(old[1]) <= tonumber(ARGV[7])) then return 0 end
for i, field in ipairs({'sid', 'subject', 'accountId'}) do
  if old[i + 1] then redis.call('SREM', prefix .. field .. ':' .. old[i + 1], id) end
end
redis.call('DEL', key)
redis.call('HSET', key, 'data', ARGV[3], 'expiresAt', ARGV[5])
local index = cjson.decode(ARGV[4])
for _, field in ipairs({'sid', 'subject', 'accountId'}) do
  if type(index[field]) == 'string' then redis.call('HSET', key, field, index[field]) end
end
if type(index.signedInAt) == 'string' then redis.call('HSET', key, 'signedInAt', index.signedInAt) end
redis.call('PEXPIRE', key, ttl)
for _, field in ipairs({'sid', 'subject', 'accountId'}) do
  if type(index[field]) == 'string' then
    local set = prefix .. field .. ':' .. index[field]
    redis.call('SADD', set, id)
    if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
  end
end
return 1
`);

/**
 * Deletes a session and its index entries; returns 1 if it was there unexpired, else 0.
 * KEYS[1] session hash; ARGV: prefix, id, now.
 */
export const DESTROY_SESSION = new RedisScript(`
local old = redis.call('HMGET', KEYS[1], 'sid', 'subject', 'accountId', 'expiresAt')
for i, field in ipairs({'sid', 'subject', 'accountId'}) do
  if old[i] then redis.call('SREM', ARGV[1] .. field .. ':' .. old[i], ARGV[2]) end
end
redis.call('DEL', KEYS[1])
if old[4] and tonumber(old[4]) > tonumber(ARGV[3]) then return 1 end
return 0
`);

/**
 * Lists the live sessions of one index set as {id, subject, accountId, signedInAt} (false when absent), and drops
 * members that no longer belong: hash gone (evicted by its TTL), expired, or now filed under
 * another sid/subject/account (an evicted session whose id was reused). Pruning in the same script
 * means it can never remove a member that another instance has just re-added.
 * KEYS[1] index set; ARGV: prefix, now, field ('sid', 'subject' or 'accountId'), value.
 */
export const FIND_SESSIONS = new RedisScript(`
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local session = redis.call('HMGET', ARGV[1] .. 'session:' .. id, 'expiresAt', ARGV[3], 'subject', 'accountId', 'signedInAt')
  if session[1] and tonumber(session[1]) > tonumber(ARGV[2]) and session[2] == ARGV[4] then
    found[#found + 1] = {id, session[3], session[4], session[5]}
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return found
`);
