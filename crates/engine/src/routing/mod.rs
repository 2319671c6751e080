//! Routing: which upstream serves a request and what protects it. The policies are pure (the
//! caller passes the clock `now` and the randomness `rand`): per-member circuit breaker and live
//! statistics, the balancing strategies, the retry policy and its budget, rate limiters, and a
//! listener's path rules. `group` compiles them into the groups a snapshot serves from.

pub mod balance;
pub mod breaker;
pub mod forward;
pub mod group;
pub mod path;
pub mod ratelimit;
pub mod retry;
pub mod stats;
mod window;
