//! Fault injection: `5xx=0.1,429=0.05,reset=0.02,latency=20ms`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::error::ApiError;
use crate::store::Sandbox;

/// Which faults to inject, and how often. Each API request draws one number from a
/// seeded RNG: it gets a 500 with probability `p_5xx`, a 429 (`Retry-After: 1`) with
/// `p_429`, a dropped connection with `p_reset`; every request is delayed by `latency`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultSpec {
    pub p_5xx: f64,
    pub p_429: f64,
    pub p_reset: f64,
    pub latency: Duration,
}

impl FaultSpec {
    /// True when nothing is injected.
    pub fn is_none(&self) -> bool {
        self.p_5xx == 0.0 && self.p_429 == 0.0 && self.p_reset == 0.0 && self.latency.is_zero()
    }
}

/// A `--faults` value that could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid fault spec: {0} (expected e.g. \"5xx=0.1,429=0.05,reset=0.02,latency=20ms\")")]
pub struct FaultSpecError(String);

fn parse_duration(v: &str) -> Result<Duration, FaultSpecError> {
    let bad = || {
        FaultSpecError(format!(
            "latency \"{v}\" is not a duration like 20ms or 1.5s"
        ))
    };
    let (num, scale) = if let Some(n) = v.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else {
        (v, 0.001)
    };
    let x: f64 = num.trim().parse().map_err(|_| bad())?;
    if !x.is_finite() || x < 0.0 || x * scale > 3600.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(x * scale))
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("\"{part}\" has no '='")))?;
            let (k, v) = (k.trim(), v.trim());
            let prob = || -> Result<f64, FaultSpecError> {
                let p: f64 = v
                    .parse()
                    .map_err(|_| FaultSpecError(format!("{k}: \"{v}\" is not a number")))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(FaultSpecError(format!(
                        "{k}: {p} is not a probability in [0, 1]"
                    )));
                }
                Ok(p)
            };
            match k {
                "5xx" | "500" => spec.p_5xx = prob()?,
                "429" => spec.p_429 = prob()?,
                "reset" => spec.p_reset = prob()?,
                "latency" => spec.latency = parse_duration(v)?,
                other => {
                    return Err(FaultSpecError(format!(
                        "unknown fault \"{other}\" (known: 5xx, 429, reset, latency)"
                    )));
                }
            }
        }
        if spec.p_5xx + spec.p_429 + spec.p_reset > 1.0 + 1e-9 {
            return Err(FaultSpecError("probabilities add up to more than 1".into()));
        }
        Ok(spec)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "5xx={},429={},reset={},latency={}ms",
            self.p_5xx,
            self.p_429,
            self.p_reset,
            self.latency.as_millis()
        )
    }
}

/// What was injected into a response (kept as a response extension for the request log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    Status500,
    Status429,
    Reset,
}

impl Injected {
    pub fn as_str(self) -> &'static str {
        match self {
            Injected::Status500 => "5xx",
            Injected::Status429 => "429",
            Injected::Reset => "reset",
        }
    }
}

/// Draws the fault for the next request (deterministic given the seed and request order).
pub(crate) fn draw(sandbox: &Sandbox) -> Option<Injected> {
    let spec = sandbox.config().faults;
    let u: f64 = {
        let mut rng = sandbox
            .inner
            .fault_rng
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        rng.random::<f64>()
    };
    if u < spec.p_5xx {
        Some(Injected::Status500)
    } else if u < spec.p_5xx + spec.p_429 {
        Some(Injected::Status429)
    } else if u < spec.p_5xx + spec.p_429 + spec.p_reset {
        Some(Injected::Reset)
    } else {
        None
    }
}

pub(crate) async fn middleware(
    State(sandbox): State<Sandbox>,
    req: Request,
    next: Next,
) -> Response {
    let spec = sandbox.config().faults;
    if spec.is_none() || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let fault = draw(&sandbox);
    if !spec.latency.is_zero() {
        tokio::time::sleep(spec.latency).await;
    }
    let mut resp = match fault {
        None => return next.run(req).await,
        Some(Injected::Status500) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INJECTED_FAULT",
            "injected server error (sandbox --faults)",
        )
        .into_response(),
        Some(Injected::Status429) => {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "too many requests (sandbox --faults); retry after 1 second",
            )
            .into_response();
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        Some(Injected::Reset) => {
            // A body that fails before its first frame makes hyper drop the connection
            // before the response head is flushed: the client sees a reset.
            let stream = futures::stream::once(async {
                Err::<bytes::Bytes, std::io::Error>(std::io::Error::other(
                    "injected connection reset",
                ))
            });
            Response::new(Body::from_stream(stream))
        }
    };
    if let Some(f) = fault {
        resp.extensions_mut().insert(f);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_spec() {
        let s: FaultSpec = "5xx=0.1,429=0.05,reset=0.02,latency=20ms".parse().unwrap();
        assert_eq!(s.p_5xx, 0.1);
        assert_eq!(s.p_429, 0.05);
        assert_eq!(s.p_reset, 0.02);
        assert_eq!(s.latency, Duration::from_millis(20));
        assert!(!s.is_none());
        let again: FaultSpec = s.to_string().parse().unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn parses_seconds_and_empty() {
        let s: FaultSpec = "latency=1.5s".parse().unwrap();
        assert_eq!(s.latency, Duration::from_millis(1500));
        assert!("".parse::<FaultSpec>().unwrap().is_none());
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "5xx",
            "5xx=2",
            "teapot=0.1",
            "latency=fast",
            "5xx=0.6,429=0.6",
            "429=-1",
        ] {
            let err = bad.parse::<FaultSpec>().unwrap_err();
            assert!(
                err.to_string().contains("invalid fault spec"),
                "{bad}: {err}"
            );
        }
    }
}
