//! Asking the servers. Every distinct address is asked once, by a small
//! pool of threads, never more than a few at a time of one host, each
//! request within a timeout. Redirects are followed here, one hop at a
//! time, so that a permanent move can be told from a temporary one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use url::Url;

/// Requests at a time to one host: polite to small servers, and below the
/// rate at which most hosts start refusing.
pub const PER_HOST: usize = 2;
/// Requests at a time in all; the work is waiting, not computing.
const WORKERS: usize = 8;
const MAX_REDIRECTS: usize = 10;
const USER_AGENT: &str = concat!("waymark/", env!("CARGO_PKG_VERSION"), " (link checker)");

/// What asking about one address found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// It answers after a permanent redirect (301 or 308) to `to`.
    Moved {
        to: String,
    },
    Broken {
        reason: String,
    },
    /// The server would not say (429 Too Many Requests, 401, 403): not
    /// counted as broken, and asked again next time.
    Unverified {
        reason: String,
    },
}

/// Asks about every address of `urls`; one outcome each, in order.
pub fn check_all(urls: &[Url], timeout: Duration) -> Vec<Outcome> {
    if urls.is_empty() {
        return Vec::new();
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are followed by hand, to see each hop's status.
        .max_redirects(0)
        .timeout_per_call(Some(timeout))
        .user_agent(USER_AGENT)
        .build()
        .into();
    let scheduler = Scheduler::new(urls, PER_HOST);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; urls.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS.min(urls.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some((index, slot)) = scheduler.next() {
                        done.push((index, follow(&agent, &scheduler, slot, &urls[index], timeout)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            // A worker that panicked leaves its addresses without an outcome.
            for (index, outcome) in worker.join().unwrap_or_default() {
                outcomes[index] = Some(outcome);
            }
        }
    });
    outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| Outcome::Broken {
                reason: "waymark failed while checking it".into(),
            })
        })
        .collect()
}

/// The host an address counts against for [`PER_HOST`].
pub fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_owned()
}

/// Asks about `start`, following redirects.
fn follow<'s>(
    agent: &ureq::Agent,
    scheduler: &'s Scheduler,
    mut slot: Slot<'s>,
    start: &Url,
    timeout: Duration,
) -> Outcome {
    let mut url = start.clone();
    // The address after the leading permanent redirects: a 301 to a
    // temporary 302 is still a move, but a 302 to a 301 is not the link's.
    let mut moved_to: Option<Url> = None;
    let mut only_permanent = true;
    for _ in 0..=MAX_REDIRECTS {
        let host = host_of(&url);
        if host != slot.host {
            // One slot at a time, so two redirecting workers never wait on each other.
            drop(slot);
            slot = scheduler.acquire(host);
        }
        let after = || redirected(&url, start);
        let answer = match ask(agent, &url) {
            Ok(answer) => answer,
            Err(failure) => {
                return Outcome::Broken {
                    reason: format!("{}{}", failure.describe(timeout), after()),
                };
            }
        };
        let status = answer.status;
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
        if redirect {
            let Some(next) = answer.location.as_deref().and_then(|l| url.join(l).ok()) else {
                return Outcome::Broken {
                    reason: format!("{} without a valid new address{}", status_text(status), after()),
                };
            };
            if only_permanent && matches!(status, 301 | 308) {
                moved_to = Some(next.clone());
            } else {
                only_permanent = false;
            }
            url = next;
            continue;
        }
        return match status {
            200..=399 => match moved_to {
                Some(to) => Outcome::Moved { to: to.to_string() },
                None => Outcome::Ok,
            },
            429 => Outcome::Unverified {
                reason: format!("{}: the server asks to wait", status_text(status)),
            },
            401 | 403 => Outcome::Unverified {
                reason: format!("{}: the server refused to answer waymark", status_text(status)),
            },
            _ => Outcome::Broken {
                reason: format!("{}{}", status_text(status), after()),
            },
        };
    }
    Outcome::Broken {
        reason: format!("more than {MAX_REDIRECTS} redirects"),
    }
}

/// Says where the answer came from when it was not the link's own address.
fn redirected(url: &Url, start: &Url) -> String {
    if url == start {
        String::new()
    } else {
        format!(" (after a redirect to {url})")
    }
}

struct Answer {
    status: u16,
    location: Option<String>,
}

enum Failure {
    Timeout,
    /// The host name could not be looked up (the resolver's words).
    NoHost(String),
    Refused,
    Other(String),
}

impl Failure {
    /// Failures that asking again with GET cannot mend.
    fn is_final(&self) -> bool {
        !matches!(self, Failure::Other(_))
    }

    fn describe(&self, timeout: Duration) -> String {
        match self {
            Failure::Timeout => format!("no answer within {} s", timeout.as_secs_f64()),
            Failure::NoHost(why) if why.is_empty() => "its host name could not be looked up".into(),
            Failure::NoHost(why) => format!("its host name could not be looked up ({why})"),
            Failure::Refused => "the connection was refused".into(),
            Failure::Other(message) => message.clone(),
        }
    }
}

/// HEAD, then GET when HEAD fails or gets an error status: some servers
/// refuse or mishandle HEAD (405, 403, 501, even 404), and a page that
/// answers GET is not dead. 429 is not asked twice.
fn ask(agent: &ureq::Agent, url: &Url) -> Result<Answer, Failure> {
    match request(agent, false, url) {
        Ok(answer) if answer.status < 400 || answer.status == 429 => Ok(answer),
        Err(failure) if failure.is_final() => Err(failure),
        _ => request(agent, true, url),
    }
}

fn request(agent: &ureq::Agent, get: bool, url: &Url) -> Result<Answer, Failure> {
    let result = if get {
        agent.get(url.as_str()).call()
    } else {
        agent.head(url.as_str()).call()
    };
    // The body is never read: dropping the response closes the connection.
    match result {
        Ok(response) => Ok(Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        }),
        Err(err) => Err(match err {
            ureq::Error::Timeout(_) => Failure::Timeout,
            ureq::Error::HostNotFound => Failure::NoHost(String::new()),
            ureq::Error::Io(e) => match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Failure::Refused,
                std::io::ErrorKind::TimedOut => Failure::Timeout,
                // rustls reports a failed handshake as invalid data.
                std::io::ErrorKind::InvalidData if url.scheme() == "https" => Failure::Other(format!("TLS error: {e}")),
                // The standard library reports a failed lookup as an
                // uncategorised error with the resolver's message.
                _ => match e.to_string().strip_prefix("failed to lookup address information: ") {
                    Some(why) => Failure::NoHost(why.to_owned()),
                    None => Failure::Other(e.to_string()),
                },
            },
            ureq::Error::ConnectionFailed => Failure::Other("the connection failed".into()),
            ureq::Error::Tls(message) => Failure::Other(format!("TLS error: {message}")),
            ureq::Error::Rustls(err) => Failure::Other(format!("TLS error: {err}")),
            ureq::Error::Protocol(err) => Failure::Other(format!("HTTP protocol error: {err}")),
            other => Failure::Other(other.to_string()),
        }),
    }
}

fn status_text(status: u16) -> String {
    match ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => format!("status {status}"),
    }
}

/// Hands out addresses to workers, each with a slot of its host, so that
/// no host has more than `per_host` requests at a time; a worker takes the
/// first address whose host has room, so one busy host holds up no other.
struct Scheduler {
    state: Mutex<State>,
    freed: Condvar,
    per_host: usize,
}

struct State {
    /// Hosts with addresses left to ask, in order of first appearance.
    waiting: VecDeque<(String, VecDeque<usize>)>,
    busy: HashMap<String, usize>,
}

/// A request's right to one of its host's places; given back when dropped.
struct Slot<'s> {
    scheduler: &'s Scheduler,
    host: String,
}

impl Scheduler {
    fn new(urls: &[Url], per_host: usize) -> Scheduler {
        let mut waiting: VecDeque<(String, VecDeque<usize>)> = VecDeque::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        for (index, url) in urls.iter().enumerate() {
            let host = host_of(url);
            let at = *position.entry(host.clone()).or_insert_with(|| {
                waiting.push_back((host, VecDeque::new()));
                waiting.len() - 1
            });
            waiting[at].1.push_back(index);
        }
        Scheduler {
            state: Mutex::new(State {
                waiting,
                busy: HashMap::new(),
            }),
            freed: Condvar::new(),
            per_host,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next address to ask, with a slot of its host; `None` when every
    /// address has been handed out.
    fn next(&self) -> Option<(usize, Slot<'_>)> {
        let mut state = self.lock();
        loop {
            let State { waiting, busy } = &mut *state;
            if waiting.is_empty() {
                return None;
            }
            // Only hosts at their limit are skipped, so the search stops
            // within a few entries however many hosts wait.
            let free = waiting
                .iter()
                .position(|(host, _)| busy.get(host).copied().unwrap_or(0) < self.per_host);
            if let Some(at) = free {
                let (host, indices) = &mut waiting[at];
                let index = indices.pop_front().expect("hosts without addresses are removed");
                let host = host.clone();
                if indices.is_empty() {
                    waiting.remove(at);
                }
                *busy.entry(host.clone()).or_default() += 1;
                return Some((index, Slot { scheduler: self, host }));
            }
            state = self.freed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// A slot of `host`, waiting until it has room (for a redirect's hop).
    fn acquire(&self, host: String) -> Slot<'_> {
        let mut state = self.lock();
        while state.busy.get(&host).copied().unwrap_or(0) >= self.per_host {
            state = self.freed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *state.busy.entry(host.clone()).or_default() += 1;
        Slot { scheduler: self, host }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.scheduler.lock();
        if let Some(count) = state.busy.get_mut(&self.host) {
            *count = count.saturating_sub(1);
        }
        drop(state);
        self.scheduler.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_keeps_to_the_per_host_limit_and_skips_busy_hosts() {
        let urls: Vec<Url> = [
            "https://a.org/1",
            "https://a.org/2",
            "https://a.org/3",
            "https://b.org/1",
        ]
        .iter()
        .map(|u| Url::parse(u).unwrap())
        .collect();
        let scheduler = Scheduler::new(&urls, 2);
        let (first, slot1) = scheduler.next().unwrap();
        let (second, _slot2) = scheduler.next().unwrap();
        // a.org is full: b.org's address comes before a.org's third.
        let (third, _slot3) = scheduler.next().unwrap();
        assert_eq!((first, second, third), (0, 1, 3));
        drop(slot1);
        let (fourth, _slot4) = scheduler.next().unwrap();
        assert_eq!(fourth, 2);
        assert!(scheduler.next().is_none());
    }
}
