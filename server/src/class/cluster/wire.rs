//! What replicas say to each other over NATS: the room registry's record,
//! the envelope of a relayed frame, the requests a room's owner answers,
//! and the catch-up a relaying replica starts from.

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::class::room::{Kind, Numbered, Standing};

/// A room as the registry holds it (JetStream key-value bucket
/// `switchboard_rooms`, key = join code): enough for any replica to check
/// a presenter, relay the room, and take it over when its owner is gone.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoomRecord {
    /// The replica that simulates the room.
    pub owner: String,
    /// Raised at every takeover: frame numbers start at `epoch << 40`, so
    /// the new owner's frames come after anything a page has seen.
    pub epoch: u32,
    /// SHA-256 of the presenter's secret, hex.
    pub secret_hash: String,
    pub seed: u64,
    /// The open scenario's id and its number of choices.
    pub preset: Option<(String, usize)>,
    pub joining_open: bool,
    pub revealed: bool,
    pub answers: Vec<u32>,
    /// Every pane's recipe (start, live changes, how far it got), state
    /// and speed, as of the owner's last write (about once a second).
    pub panes: Vec<Standing>,
}

impl RoomRecord {
    pub fn encode(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).expect("records serialise"))
    }

    pub fn decode(bytes: &[u8]) -> Option<RoomRecord> {
        serde_json::from_slice(bytes).ok()
    }

    pub fn secret_hash(&self) -> Option<[u8; 32]> {
        unhex32(&self.secret_hash)
    }
}

/// 32 bytes from their hex (a ballot's hash), if it is that.
pub fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request to a room's owner (JSON on `switchboard.ask.<code>`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Ask {
    /// A presenter's control, authenticated by the replica it came to.
    Control { pane: usize, text: String },
    /// The frames a joiner needs (reply: [`encode_entries`]).
    CatchUp { pane: usize },
    /// `GET /api/rooms/<code>` for a member of another replica (with the
    /// hash of the page's ballot, hex, if it carries one).
    Describe {
        presenter: bool,
        #[serde(default)]
        ballot: Option<String>,
    },
    /// A student's prediction, by the hash of its ballot (hex), checked by
    /// the replica it came to.
    Answer { choice: usize, ballot: String },
    /// A student's sketch of the teacher's sweep, by the hash of its
    /// ballot (hex).
    Sketch {
        points: Vec<(u16, f64)>,
        ballot: String,
    },
    /// The class's sketches, for the presenter (checked where it came in).
    Sketches,
    /// The presenter reveals answers or locks joining.
    Steer {
        reveal: Option<bool>,
        joining_open: Option<bool>,
    },
    /// A replica's members of the room (no reply).
    Presence {
        replica: String,
        followers: usize,
        presenters: usize,
    },
}

/// The owner's reply to an HTTP-like ask: a status and a body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The body is JSON (else plain text).
    pub json: bool,
}

/// A relayed frame: `kind` (1 byte), `seq` (8 bytes, big-endian), the
/// frame's bytes as encoded once by the owner.
pub fn envelope(kind: Kind, n: &Numbered) -> Bytes {
    let mut b = BytesMut::with_capacity(9 + n.bytes.len());
    b.put_u8(kind.to_byte());
    b.put_u64(n.seq);
    b.put_slice(&n.bytes);
    b.freeze()
}

/// The frame an envelope carries (its bytes share the message's buffer).
pub fn open(payload: &Bytes) -> Option<(Kind, Numbered)> {
    if payload.len() < 9 {
        return None;
    }
    let kind = Kind::from_byte(payload[0])?;
    let seq = u64::from_be_bytes(payload[1..9].try_into().ok()?);
    Some((
        kind,
        Numbered {
            seq,
            text: kind.is_text(),
            bytes: payload.slice(9..),
        },
    ))
}

/// A catch-up as one message: envelopes, each preceded by its length
/// (u32, big-endian). Oldest chart history is left out first, then the
/// oldest ticks, until it fits in `max` bytes (the NATS server's
/// `max_payload`).
pub fn encode_entries(entries: &[(Kind, Numbered)], max: usize) -> Bytes {
    let size = |e: &(Kind, Numbered)| 4 + 9 + e.1.bytes.len();
    let mut keep: Vec<bool> = vec![true; entries.len()];
    let mut total: usize = entries.iter().map(size).sum();
    for droppable in [Kind::History, Kind::Tick] {
        for (i, e) in entries.iter().enumerate() {
            if total <= max {
                break;
            }
            if e.0 == droppable {
                keep[i] = false;
                total -= size(e);
            }
        }
    }
    let mut b = BytesMut::with_capacity(total);
    for (e, _) in entries.iter().zip(&keep).filter(|(_, k)| **k) {
        let env = envelope(e.0, &e.1);
        b.put_u32(env.len() as u32);
        b.put_slice(&env);
    }
    b.freeze()
}

pub fn decode_entries(payload: &Bytes) -> Option<Vec<(Kind, Numbered)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < payload.len() {
        let len = u32::from_be_bytes(payload.get(at..at + 4)?.try_into().ok()?) as usize;
        at += 4;
        out.push(open(&payload.slice(
            at..at.checked_add(len).filter(|e| *e <= payload.len())?,
        ))?);
        at += len;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(seq: u64, len: usize) -> Numbered {
        Numbered {
            seq,
            bytes: Bytes::from(vec![seq as u8; len]),
            text: false,
        }
    }

    #[test]
    fn an_envelope_opens_to_what_was_sealed() {
        let e = envelope(Kind::Tick, &n(7 << 40 | 3, 5));
        let (k, got) = open(&e).unwrap();
        assert_eq!(
            (k, got.seq, &got.bytes[..]),
            (Kind::Tick, 7 << 40 | 3, &[3u8; 5][..])
        );
        assert!(open(&Bytes::from_static(&[2, 0, 0])).is_none());
        assert!(open(&Bytes::from_static(&[9, 0, 0, 0, 0, 0, 0, 0, 1])).is_none());
    }

    #[test]
    fn a_catch_up_that_does_not_fit_loses_old_history_then_old_ticks() {
        let entries = vec![
            (Kind::Hello, n(1, 100)),
            (Kind::History, n(2, 100)),
            (Kind::History, n(3, 100)),
            (Kind::Params, n(4, 100)),
            (Kind::Tick, n(5, 100)),
            (Kind::Tick, n(6, 100)),
        ];
        let all = decode_entries(&encode_entries(&entries, 1 << 20)).unwrap();
        assert_eq!(all.len(), 6);
        let seqs = |max| -> Vec<u64> {
            decode_entries(&encode_entries(&entries, max))
                .unwrap()
                .iter()
                .map(|e| e.1.seq)
                .collect()
        };
        assert_eq!(seqs(4 * 113), vec![1, 4, 5, 6]);
        assert_eq!(seqs(3 * 113), vec![1, 4, 6]);
        assert!(decode_entries(&Bytes::from_static(&[0, 0, 0, 20, 1])).is_none());
    }

    #[test]
    fn a_record_keeps_its_secret_hash() {
        let h = crate::class::codes::hash_secret("s3cret");
        let r = RoomRecord {
            owner: "a".into(),
            epoch: 0,
            secret_hash: hex(&h),
            seed: 1,
            preset: None,
            joining_open: true,
            revealed: false,
            answers: vec![],
            panes: vec![],
        };
        assert_eq!(
            RoomRecord::decode(&r.encode()).unwrap().secret_hash(),
            Some(h)
        );
    }
}
