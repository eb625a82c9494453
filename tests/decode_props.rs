//! Property test: the response decoder never panics, whatever bytes, status and headers
//! arrive, and always gives a success or a typed error consistent with the status.

use proptest::prelude::*;
use slack_sessions::{decode_response, Error, InvalidateRequest, ResetRequest};

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        // Near-JSON: Slack-ish envelopes with random values, so the decoder's deeper
        // paths are reached, not just the JSON syntax error.
        (
            prop_oneof![Just("true"), Just("false"), Just("null"), Just("1"), Just("\"x\"")],
            prop_oneof![Just("\"user_not_found\""), Just("\"ratelimited\""), Just("null"), Just("7"), Just("[]"), Just("\"\"")],
            "[ -~]{0,40}",
        )
            .prop_map(|(ok, error, tail)| {
                format!(r#"{{"ok":{ok},"error":{error},"warning":"{}","response_metadata":{{"warnings":[]}}}}{tail}"#, tail.replace('"', ""))
                    .into_bytes()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoder_never_panics(
        status in 100u16..1000,
        body in body_strategy(),
        retry_after in proptest::option::of("[ -~]{0,12}"),
        location in proptest::option::of("[ -~]{0,30}"),
    ) {
        let mut b = http::Response::builder().status(status);
        if let Some(v) = &retry_after {
            b = b.header("retry-after", v.as_str());
        }
        if let Some(v) = &location {
            b = b.header("location", v.as_str());
        }
        let says_ratelimited = String::from_utf8_lossy(&body).contains("\"ratelimited\"");
        let response = b.body(body).unwrap();
        let reset = decode_response::<ResetRequest>(&response);
        let invalidate = decode_response::<InvalidateRequest>(&response);
        for result in [reset.map(drop), invalidate.map(drop)] {
            match result {
                Ok(()) => prop_assert!((200..300).contains(&status)),
                Err(Error::RateLimited { .. }) => prop_assert!(status == 429 || says_ratelimited),
                Err(Error::Http { status: s, .. }) => prop_assert!(!s.is_success()),
                Err(Error::Decode { status: s, .. }) => prop_assert!(s.is_success()),
                Err(Error::Api(_)) => {}
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
