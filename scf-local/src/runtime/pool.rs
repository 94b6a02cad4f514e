//! Instances pooled per function version: a warm instance is reused, a new one is started when all
//! are busy (up to the concurrency limit), and one idle for too long is stopped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Groups;
use super::instance::{Completed, Instance, InstanceSpec, StartError};
use super::web::WebInstances;

/// Limits of the pools.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolsConfig {
    /// Concurrent instances per function version.
    pub max_instances: usize,
    /// Instances alive at once across every pool.
    pub max_total_instances: usize,
    /// An instance idle this long is stopped.
    pub idle_timeout: Duration,
}

/// Every pool, by key (`namespace/function/version#revision`).
#[derive(Debug)]
pub(crate) struct Pools {
    pools: Arc<PoolMap>,
    groups: Groups,
    config: PoolsConfig,
    /// Instances alive across every pool (retired pools' included, until their instances go).
    total: Arc<AtomicUsize>,
    /// Web functions' instances (one per version), under the same cap, idle time and retirement.
    web: WebInstances,
}

/// The pools by key; each pool also sees it (weakly), to make room for itself at the global cap.
type PoolMap = Mutex<HashMap<String, Arc<Pool>>>;

/// Why an invocation got no instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoInstance {
    /// All `limit` instances are busy.
    ConcurrencyLimit { limit: usize },
    /// A new instance would not start.
    StartFailed(StartError),
}

impl Pools {
    /// Pools with a reaper task that stops idle instances.
    pub fn new(config: PoolsConfig, groups: Groups) -> Arc<Pools> {
        let total = Arc::new(AtomicUsize::new(0));
        let pools = Arc::new(Pools {
            pools: Arc::new(Mutex::new(HashMap::new())),
            config,
            web: WebInstances::new(groups.clone(), total.clone(), config.max_total_instances),
            groups,
            total,
        });
        let weak = Arc::downgrade(&pools);
        tokio::spawn(reap(weak, (config.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))));
        pools
    }

    /// The pool for `key`, if it exists.
    pub fn get_existing(&self, key: &str) -> Option<Arc<Pool>> {
        self.lock().get(key).cloned()
    }

    /// The pool for `key`, created with `spec` if it does not exist yet.
    pub fn get(&self, key: &str, spec: impl FnOnce() -> InstanceSpec) -> Arc<Pool> {
        let mut pools = self.lock();
        if let Some(pool) = pools.get(key) {
            return pool.clone();
        }
        let pool = Arc::new(Pool {
            spec: Arc::new(spec()),
            idle: Mutex::new(Vec::new()),
            live: AtomicUsize::new(0),
            limit: self.config.max_instances,
            total: self.total.clone(),
            total_limit: self.config.max_total_instances,
            all: Arc::downgrade(&self.pools),
            retired: AtomicBool::new(false),
            groups: self.groups.clone(),
        });
        pools.insert(key.to_owned(), pool.clone());
        pool
    }

    /// Stops the pools whose key starts with `prefix` (a function or version changed or went
    /// away): idle instances now, busy ones when they finish.
    pub fn retire(&self, prefix: &str) {
        let retired: Vec<Arc<Pool>> = {
            let mut pools = self.lock();
            let keys: Vec<String> = pools.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
            keys.iter().filter_map(|k| pools.remove(k)).collect()
        };
        for pool in retired {
            pool.retire();
        }
        self.web.retire(prefix);
    }

    /// The web functions' instances.
    pub fn web(&self) -> &WebInstances {
        &self.web
    }

    /// Stops every instance now (the processes and everything they started).
    pub fn shutdown(&self) {
        let pools: Vec<Arc<Pool>> = self.lock().drain().map(|(_, pool)| pool).collect();
        for pool in pools {
            pool.retire();
        }
        self.web.shutdown();
        self.groups.kill_all();
    }

    /// How many instances are alive.
    pub fn live_instances(&self) -> usize {
        self.groups.len()
    }

    /// The code directories live instances run from.
    pub fn code_dirs_in_use(&self) -> std::collections::HashSet<std::path::PathBuf> {
        self.groups.code_dirs()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Pool>>> {
        self.pools.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Stops idle instances past their time, until the pools are gone.
async fn reap(pools: Weak<Pools>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(pools) = pools.upgrade() else { return };
        let idle_timeout = pools.config.idle_timeout;
        // A pool nobody uses and with no instance left goes (it is made again when needed): pools
        // of old revisions do not pile up. Under the map's lock, a count of 1 means no caller holds it.
        pools.lock().retain(|_, pool| Arc::strong_count(pool) > 1 || pool.live.load(Ordering::Acquire) > 0);
        let all: Vec<Arc<Pool>> = pools.lock().values().cloned().collect();
        for pool in all {
            let mut idle = pool.lock_idle();
            let before = idle.len();
            idle.retain(|instance| instance.last_used.elapsed() < idle_timeout);
            let stopped = before - idle.len();
            if stopped > 0 {
                pool.uncount(stopped);
                tracing::debug!(stopped, "stopped idle instances");
            }
        }
        pools.web.reap(idle_timeout);
    }
}

/// The instances of one function version.
#[derive(Debug)]
pub(crate) struct Pool {
    spec: Arc<InstanceSpec>,
    idle: Mutex<Vec<Instance>>,
    /// Instances alive: idle, busy or starting.
    live: AtomicUsize,
    limit: usize,
    /// Instances alive in every pool, and their limit.
    total: Arc<AtomicUsize>,
    total_limit: usize,
    /// Every pool (this one included while it is not retired).
    all: Weak<PoolMap>,
    retired: AtomicBool,
    groups: Groups,
}

/// A finished invocation, and whether it needed a new instance (a cold start) and how long the
/// start took.
#[derive(Debug)]
pub(crate) struct PoolRun {
    pub completed: Completed,
    pub cold_start: Option<Duration>,
}

impl Pool {
    /// Runs one event on a warm instance, or on a new one if all are busy and the limit allows.
    /// If the caller stops waiting (a terminated event, a client gone), the instance is stopped.
    pub async fn invoke(&self, request_id: String, event: Bytes) -> Result<PoolRun, NoInstance> {
        let warm = self.take_idle();
        let (instance, cold_start) = match warm {
            Some(instance) => (Slot { pool: self, instance: Some(instance), released: false }, None),
            None => {
                if self.live.fetch_add(1, Ordering::AcqRel) >= self.limit {
                    self.live.fetch_sub(1, Ordering::AcqRel);
                    return Err(NoInstance::ConcurrencyLimit { limit: self.limit });
                }
                // At the global cap an idle instance of any function makes room: only busy ones refuse.
                if self.total.fetch_add(1, Ordering::AcqRel) >= self.total_limit && !self.stop_least_recent_idle() {
                    self.uncount(1);
                    return Err(NoInstance::ConcurrencyLimit { limit: self.total_limit });
                }
                let mut slot = Slot { pool: self, instance: None, released: false };
                let instance =
                    Instance::start(self.spec.clone(), self.groups.clone()).await.map_err(NoInstance::StartFailed)?;
                let took = instance.start_duration;
                slot.instance = Some(instance);
                (slot, Some(took))
            }
        };
        let completed = match &instance.instance {
            Some(running) => running.invoke(request_id, event).await,
            None => return Err(NoInstance::StartFailed(StartError::Spawn("the instance is gone".into()))),
        };
        if !completed.outcome.is_fatal() {
            instance.release();
        }
        Ok(PoolRun { completed, cold_start })
    }

    /// The most recently used idle instance that is still alive; dead ones (a process that exited
    /// between invocations) are dropped and uncounted.
    fn take_idle(&self) -> Option<Instance> {
        let mut idle = self.lock_idle();
        while let Some(instance) = idle.pop() {
            if instance.is_alive() {
                return Some(instance);
            }
            self.uncount(1);
        }
        None
    }

    /// Stops the least recently used idle instance of any pool; whether there was one.
    fn stop_least_recent_idle(&self) -> bool {
        let Some(all) = self.all.upgrade() else { return false };
        let pools: Vec<Arc<Pool>> = all.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        // Each idle list is in order of use, its oldest first. Another caller may take the chosen
        // one meanwhile: then look again.
        loop {
            let oldest = pools
                .iter()
                .filter_map(|pool| pool.lock_idle().first().map(|instance| (instance.last_used, pool)))
                .min_by_key(|(last_used, _)| *last_used);
            let Some((last_used, pool)) = oldest else { return false };
            let stopped = {
                let mut idle = pool.lock_idle();
                match idle.first() {
                    Some(instance) if instance.last_used == last_used => Some(idle.remove(0)),
                    _ => None,
                }
            };
            if let Some(instance) = stopped {
                drop(instance);
                pool.uncount(1);
                tracing::debug!("stopped the least recently used idle instance to stay within the instance cap");
                return true;
            }
        }
    }

    /// Stops the idle instances now; busy ones stop when they finish (the flag is set under the
    /// idle list's lock, so an instance being released either sees it or is taken here).
    fn retire(&self) {
        let stopped = {
            let mut idle = self.lock_idle();
            self.retired.store(true, Ordering::Release);
            std::mem::take(&mut *idle)
        };
        self.uncount(stopped.len());
    }

    /// `n` instances of this pool are gone.
    fn uncount(&self, n: usize) {
        self.live.fetch_sub(n, Ordering::AcqRel);
        self.total.fetch_sub(n, Ordering::AcqRel);
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Instance>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One unit of a pool's `live` count, with its instance once started. Released, the instance goes
/// back to the idle list (still counted); dropped otherwise — failed start, fatal outcome, retired
/// pool, or a caller that stopped waiting — the instance stops and the count goes down.
struct Slot<'a> {
    pool: &'a Pool,
    instance: Option<Instance>,
    released: bool,
}

impl Slot<'_> {
    /// Back to the idle list, unless the pool was retired (then dropped: the instance stops).
    fn release(mut self) {
        let mut idle = self.pool.lock_idle();
        if self.pool.retired.load(Ordering::Acquire) {
            return;
        }
        if let Some(mut instance) = self.instance.take() {
            instance.last_used = Instant::now();
            idle.push(instance);
            self.released = true;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.pool.uncount(1);
        }
    }
}
