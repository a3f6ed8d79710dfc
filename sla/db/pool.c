// SPDX-License-Identifier: GPL-2.0
/*
 * A pool of sladb handles: a stack of free ones under a mutex, and a
 * condition variable for the threads waiting for one.  The handles are
 * opened at once, so a pool that opened has all its connections; each
 * reconnects by itself (pg.c), so the pool never replaces one.
 *
 * Locking: pool->lock protects free[], nfree and taken[].
 */
#include "sladb.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct sladb_pool {
	pthread_mutex_t lock;
	pthread_cond_t given;	/* a handle came back */
	unsigned int n, nfree;
	struct sladb **all;	/* every handle, in opening order */
	bool *taken;		/* taken[i]: all[i] is out */
	struct sladb **free;	/* a stack: the last given is taken first */
};

unsigned int sladb_pool_size(const struct sladb_pool *pool)
{
	return pool->n;
}

void sladb_pool_close(struct sladb_pool *pool)
{
	if (!pool)
		return;
	for (unsigned int i = 0; i < pool->n; i++)
		sladb_close(pool->all[i]);
	pthread_cond_destroy(&pool->given);
	pthread_mutex_destroy(&pool->lock);
	free(pool->all);
	free(pool->taken);
	free(pool->free);
	free(pool);
}

int sladb_pool_open(const char *addr, unsigned int n, struct sladb_pool **out)
{
	struct sladb_pool *pool;
	pthread_condattr_t ca;
	int ret = 0;

	*out = NULL;
	if (!addr || n == 0 || n > SLADB_POOL_MAX)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->all = calloc(n, sizeof(*pool->all));
	pool->free = calloc(n, sizeof(*pool->free));
	pool->taken = calloc(n, sizeof(*pool->taken));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->given, &ca);
	pthread_condattr_destroy(&ca);
	if (!pool->all || !pool->free || !pool->taken) {
		sladb_pool_close(pool);
		return -ENOMEM;
	}
	for (; pool->n < n; pool->n++) {
		ret = sladb_open(addr, &pool->all[pool->n]);
		if (ret) {
			sladb_pool_close(pool);
			return ret;
		}
		pool->free[pool->nfree++] = pool->all[pool->n];
	}
	*out = pool;
	return 0;
}

int sladb_pool_take(struct sladb_pool *pool, int timeout_ms, struct sladb **db)
{
	struct timespec until;
	int ret = 0;

	*db = NULL;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&pool->lock);
	while (!pool->nfree && !ret) {
		if (timeout_ms == 0)
			ret = ETIMEDOUT;
		else if (timeout_ms < 0)
			ret = pthread_cond_wait(&pool->given, &pool->lock);
		else
			ret = pthread_cond_timedwait(&pool->given, &pool->lock,
						     &until);
	}
	if (pool->nfree) {
		*db = pool->free[--pool->nfree];
		for (unsigned int i = 0; i < pool->n; i++)
			if (pool->all[i] == *db)
				pool->taken[i] = true;
		ret = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	return -ret;
}

int sladb_pool_give(struct sladb_pool *pool, struct sladb *db)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&pool->lock);
	for (unsigned int i = 0; i < pool->n; i++)
		if (pool->all[i] == db && pool->taken[i]) {
			pool->taken[i] = false;
			pool->free[pool->nfree++] = db;
			pthread_cond_signal(&pool->given);
			ret = 0;
		}
	pthread_mutex_unlock(&pool->lock);
	return ret;
}
