//! What this process is sending right now: per-endpoint counts (the
//! per-endpoint limit) and delivery ids (handed back at shutdown).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use crate::domain::{DeliveryId, EndpointId};

#[derive(Debug, Default)]
struct Inner {
    per_endpoint: HashMap<EndpointId, usize>,
    deliveries: HashSet<DeliveryId>,
}

/// The attempts in flight in this process.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    inner: Arc<Mutex<Inner>>,
    /// The most attempts at once to one endpoint.
    per_endpoint_limit: usize,
}

/// One attempt in flight; dropping it (finished or aborted) frees its place.
#[derive(Debug)]
pub struct Slot {
    owner: InFlight,
    endpoint: EndpointId,
    delivery: DeliveryId,
}

impl InFlight {
    /// Tracks attempts with this per-endpoint limit.
    pub fn new(per_endpoint_limit: usize) -> Self {
        Self { inner: Arc::default(), per_endpoint_limit: per_endpoint_limit.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Endpoints at their limit: the next claim leaves them out.
    pub fn busy_endpoints(&self) -> Vec<EndpointId> {
        let inner = self.lock();
        inner.per_endpoint.iter().filter(|(_, n)| **n >= self.per_endpoint_limit).map(|(e, _)| e.clone()).collect()
    }

    /// Takes a place for an attempt, unless its endpoint is at its limit.
    pub fn try_enter(&self, endpoint: &EndpointId, delivery: &DeliveryId) -> Option<Slot> {
        let mut inner = self.lock();
        let count = inner.per_endpoint.entry(endpoint.clone()).or_default();
        if *count >= self.per_endpoint_limit {
            return None;
        }
        *count += 1;
        inner.deliveries.insert(delivery.clone());
        Some(Slot { owner: self.clone(), endpoint: endpoint.clone(), delivery: delivery.clone() })
    }

    /// Deliveries still in flight (to hand back at shutdown).
    pub fn deliveries(&self) -> Vec<DeliveryId> {
        self.lock().deliveries.iter().cloned().collect()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.owner.lock();
        if let Some(count) = inner.per_endpoint.get_mut(&self.endpoint) {
            *count -= 1;
            if *count == 0 {
                inner.per_endpoint.remove(&self.endpoint);
            }
        }
        inner.deliveries.remove(&self.delivery);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_at_its_limit_is_busy_until_a_slot_is_dropped() {
        let in_flight = InFlight::new(2);
        let ep = EndpointId::generate();
        let a = in_flight.try_enter(&ep, &DeliveryId::generate()).unwrap();
        let _b = in_flight.try_enter(&ep, &DeliveryId::generate()).unwrap();
        assert!(in_flight.try_enter(&ep, &DeliveryId::generate()).is_none());
        assert_eq!(in_flight.busy_endpoints(), vec![ep.clone()]);
        drop(a);
        assert!(in_flight.busy_endpoints().is_empty());
        assert_eq!(in_flight.deliveries().len(), 1);
    }
}
