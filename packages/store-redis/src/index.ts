export { connectRedis, isConnectionError, isUnavailable, redisCall, type RedisClient, type RedisConnectOptions } from './client.js';
export { redisJwtStore, type RedisJwtStore, type RedisJwtStoreOptions } from './jwt.js';
export { redisSessionStore, type RedisSessionStoreOptions } from './sessions.js';
export { withRedisCache, type CachedStores, type RedisCacheOptions } from './cache.js';
export { redisThrottleStore, type RedisThrottleStoreOptions } from './throttle.js';
