//! Heap allocations of one whole `Client::send` through the fake transport (request
//! built, recorded, response decoded), counted by a counting global allocator. The
//! budget is 15; the README's Performance section reports the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use slack_sessions::{
    decode_response, Client, FakeTransport, InvalidateRequest, ResetRequest, RetryPolicy,
};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // try_with: thread-locals may be gone while a thread shuts down.
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                COUNT.with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                COUNT.with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (T, usize) {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    let out = f();
    COUNTING.with(|on| on.set(false));
    (out, COUNT.with(Cell::get))
}

const BUDGET: usize = 15;

#[test]
fn one_send_through_the_fake_stays_within_budget() {
    let fake = FakeTransport::new();
    let client = Client::builder("xoxp-test")
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let reset = ResetRequest::new("W12345678");
    let invalidate = InvalidateRequest::new("W12345678", 1112275520242);
    // Warm up: the first clone of the shared header values promotes them once.
    fake.push_json(200, r#"{"ok":true}"#);
    client.send(&reset).unwrap();

    let mut report = Vec::new();
    for (name, n) in [("reset", 0), ("invalidate", 1)] {
        fake.take_requests();
        fake.push_json(200, r#"{"ok":true}"#);
        let (_, allocs) = count(|| {
            if n == 0 {
                client.send(&reset).map(drop)
            } else {
                client.send(&invalidate).map(drop)
            }
        });
        report.push(format!("send {name}: {allocs} allocations"));
        assert!(
            allocs <= BUDGET,
            "send {name}: {allocs} allocations (budget {BUDGET})"
        );
    }
    let (_, build) = count(|| client.build_request(&reset).unwrap());
    let ok = http::Response::builder()
        .status(200)
        .body(br#"{"ok":true}"#.to_vec())
        .unwrap();
    let (_, decode) = count(|| decode_response::<ResetRequest>(&ok).unwrap());
    report.push(format!("build_request: {build}, decode_response: {decode}"));
    eprintln!("{}", report.join("\n"));
}
