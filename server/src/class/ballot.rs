//! One prediction per student: each follower's page gets a ballot — a
//! random nonce signed for its room (HMAC-SHA256 keyed by the room's
//! secret hash, which every replica of the room knows and no client does)
//! — in an HttpOnly cookie, and the room counts one answer per ballot; a
//! second answer replaces the first. What the room keeps is each ballot's
//! hash and its current choice: counts, and no name, address or cookie of
//! anyone. Ballots are minted under a per-client rate (`gate`) and at most
//! `room::MAX_BALLOTS` a room.

use axum::http::HeaderMap;
use ring::hmac;

use crate::class::codes::hash_secret;
use crate::class::room::Room;

fn cookie_name(code: &str) -> String {
    format!("sb_ballot_{code}")
}

fn key(room: &Room) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, &room.secret_hash)
}

fn tag(room: &Room, nonce: &str) -> String {
    let t = hmac::sign(&key(room), format!("{}:{nonce}", room.code).as_bytes());
    t.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new ballot for `room`: the token and the cookie that carries it.
pub fn mint(room: &Room) -> Result<(String, String), String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a ballot: {e}"))?;
    let nonce: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let token = format!("{nonce}.{}", tag(room, &nonce));
    let cookie = format!(
        "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400",
        cookie_name(&room.code)
    );
    Ok((token, cookie))
}

/// The ballot a request carries for `room`, if it is one this room signed:
/// its hash (what the room counts answers by).
pub fn carried(room: &Room, headers: &HeaderMap) -> Option<[u8; 32]> {
    let token = crate::class::codes::cookie(headers, &cookie_name(&room.code))?;
    verify(room, &token)
}

/// `token`'s hash if `room` signed it.
pub fn verify(room: &Room, token: &str) -> Option<[u8; 32]> {
    let (nonce, given) = token.split_once('.')?;
    if nonce.len() != 32 || given.len() != 32 {
        return None;
    }
    let want = tag(room, nonce);
    // Compared in constant time.
    let same = want
        .bytes()
        .zip(given.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0;
    same.then(|| hash_secret(token))
}
