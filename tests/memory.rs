//! What a walk holds: a hostile server sending endless pages with distinct cursors must
//! not make a `Client::pages` walk grow. Heap in use is measured by a counting global
//! allocator (live bytes, and the peak above the level when the walk started).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use slack_sessions::{Client, Error, ListRequest, RetryPolicy};

struct Tracking;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// Tests here measure the whole process's heap: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A server that never ends a walk: every page has a new cursor of `cursor_len` bytes
/// and `padding` bytes of filler.
struct Endless {
    n: AtomicUsize,
    cursor_len: usize,
    padding: usize,
}

impl slack_sessions::Transport for Endless {
    fn send(
        &self,
        _: slack_sessions::HttpRequest,
    ) -> Result<slack_sessions::HttpResponse, slack_sessions::TransportError> {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let mut cursor = format!("c{n:09}");
        cursor.extend(std::iter::repeat_n(
            'x',
            self.cursor_len.saturating_sub(cursor.len()),
        ));
        let body = format!(
            r#"{{"ok":true,"active_sessions":[],"filler":"{}","response_metadata":{{"next_cursor":"{cursor}"}}}}"#,
            "f".repeat(self.padding)
        );
        Ok(http::Response::builder()
            .status(200)
            .body(body.into_bytes())
            .unwrap())
    }
}

fn endless(cursor_len: usize, padding: usize) -> Client<Endless> {
    Client::builder("xoxp-memory-test-token")
        .retry(RetryPolicy::none())
        .transport(Endless {
            n: AtomicUsize::new(0),
            cursor_len,
            padding,
        })
        .build()
        .unwrap()
}

#[test]
fn an_endless_walk_of_distinct_long_cursors_holds_no_more_as_it_goes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // 3,000 pages, each with a distinct cursor of 4,000 bytes (just under the cap): 12 MB
    // of cursors. A walk that remembered them whole would hold all of it.
    let client = endless(4000, 0);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut walk = client.pages(&ListRequest::new()).max_pages(3000);
    let mut pages = 0;
    let mut last = None;
    for page in walk.by_ref() {
        match page {
            Ok(_) => pages += 1,
            Err(e) => last = Some(e),
        }
    }
    let grew = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    eprintln!("3,000 pages of 4,000-byte cursors: peak heap growth {grew} bytes");
    assert_eq!(pages, 2999);
    assert!(
        matches!(&last, Some(Error::Decode { reason, .. }) if reason.contains("page limit")),
        "{last:?}"
    );
    // Fingerprints of 3,000 cursors and one page at a time: well under 1 MiB.
    assert!(grew < 1 << 20, "the walk grew by {grew} bytes");
}

#[test]
fn a_walk_with_a_byte_bound_stops_at_it_and_a_giant_cursor_stops_at_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // 1 MiB pages (and a few bytes), endless: a walk bounded at 8 MiB ends at the 8th,
    // clearly.
    let client = endless(20, 1 << 20);
    let mut walk = client.pages(&ListRequest::new()).max_bytes(8 << 20);
    let results: Vec<_> = walk.by_ref().collect();
    assert_eq!(results.len(), 8);
    match results.last().unwrap() {
        Err(Error::Decode { reason, .. }) => assert!(reason.contains("byte limit"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(walk.pages_fetched(), 8);

    // A cursor over 4 KiB is not Slack's: the walk ends instead of sending it back.
    let client = endless(64 << 10, 0);
    let results: Vec<_> = client.pages(&ListRequest::new()).collect();
    assert_eq!(results.len(), 1);
    match &results[0] {
        Err(Error::Decode { reason, .. }) => assert!(reason.contains("4,096 bytes"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
