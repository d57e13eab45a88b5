// leaky.rs - the three ways a Rust program leaks without unsafe code, for
// `memtrack run`: a Box leaked on purpose, a Vec of Strings forgotten, and
// two Rc that hold each other.  Build: rustc -g -C opt-level=0 leaky.rs
use std::cell::RefCell;
use std::rc::Rc;

struct Node {
    peer: RefCell<Option<Rc<Node>>>,
    payload: [u64; 4],
}

fn leak_box() -> &'static mut [u8; 64] {
    Box::leak(Box::new([7u8; 64]))
}

fn forget_names() {
    let names: Vec<String> = (0..3).map(|i| format!("name-{i}")).collect();
    std::mem::forget(names);
}

fn make_cycle() {
    let a = Rc::new(Node { peer: RefCell::new(None), payload: [1; 4] });
    let b = Rc::new(Node { peer: RefCell::new(Some(a.clone())), payload: [2; 4] });
    *a.peer.borrow_mut() = Some(b.clone());
    let _ = (a.payload[0], b.payload[0]);
}

fn main() {
    let kept = leak_box();
    kept[0] = 1;
    forget_names();
    make_cycle();
    println!("done");
}
