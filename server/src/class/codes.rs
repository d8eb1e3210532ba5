//! Join codes and presenter secrets: six characters from an alphabet
//! without look-alikes, 128-bit secrets kept only as their SHA-256, and
//! the presenter's cookie.

use axum::http::{header, HeaderMap};

/// Join codes: six characters from an alphabet without look-alikes
/// (no 0/O, 1/I/L).
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 6;

/// A typed code as the registry spells it: upper case, only the
/// alphabet's characters, at most [`CODE_LEN`] of them.
pub fn normal(code: &str) -> String {
    code.trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| ALPHABET.contains(&(*c as u8)))
        .take(CODE_LEN)
        .collect()
}

/// Random bytes from the operating system.
fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for a room: {e}"))?;
    Ok(b)
}

/// A fresh join code.
pub fn new_code() -> Result<String, String> {
    Ok(random::<CODE_LEN>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// `N` random bytes as hex.
pub fn random_hex<const N: usize>() -> Result<String, String> {
    Ok(random::<N>()?.iter().map(|b| format!("{b:02x}")).collect())
}

/// A presenter's secret: 128 random bits.
pub fn new_secret() -> Result<String, String> {
    random_hex::<16>()
}

/// SHA-256 of a presenter secret (or of a ballot).
pub fn hash_secret(secret: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The presenter cookie's name for a room.
pub fn cookie_name(code: &str) -> String {
    format!("sb_presenter_{code}")
}

/// The value of the request's cookie `name`, if it carries one.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The presenter secret the request's cookies carry for `code`, if any.
pub fn presenter_secret(headers: &HeaderMap, code: &str) -> Option<String> {
    cookie(headers, &cookie_name(code))
}
