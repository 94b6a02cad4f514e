#![no_main]
//! The emulator's TC3 check (`Authorization` parsing, canonical request, signature, timestamp,
//! token) on any request. Input: a request in the text form of `scf_fuzz::Request` (method, query,
//! headers, body), verified at `scf_fuzz::NOW` against the fuzz key pair, without and with a
//! session token, leniently and `--strict`.
//!
//! Never panics; the answer is a code the service knows; no request passes both with and without
//! the token; `--strict` accepts nothing the lenient mode refuses.

use libfuzzer_sys::fuzz_target;
use scf_fuzz::{NOW, Request, SECRET_ID, SECRET_KEY, TOKEN};
use scf_local::AccessKey;
use scf_local::fuzzing::verify_signature;

fuzz_target!(|data: &[u8]| {
    let Some(request) = Request::parse(data) else { return };
    let keys = [None, Some(TOKEN)].map(|token| AccessKey {
        secret_id: SECRET_ID.into(),
        secret_key: SECRET_KEY.into(),
        token: token.map(str::to_owned),
    });
    let mut passed = [[false; 2]; 2];
    for (k, key) in keys.iter().enumerate() {
        for (s, strict) in [false, true].into_iter().enumerate() {
            let verdict =
                verify_signature(&request.method, &request.query, &request.headers, &request.body, key, strict, NOW);
            match verdict {
                Ok(()) => passed[k][s] = true,
                Err(code) if code == "not an HTTP header" => return,
                Err(code) => {
                    let known = !matches!(scf_sdk::ErrorCode::from(code.as_str()), scf_sdk::ErrorCode::Unknown(_));
                    assert!(known, "an error code the service does not have: {code}");
                }
            }
        }
    }
    assert!(!(passed[0][0] && passed[1][0]), "one request passed both without and with a session token");
    for key in passed {
        assert!(key[0] || !key[1], "--strict accepted a request the lenient check refused");
    }
});
