//! The module graph flows one way, as `src/lib.rs` draws it: derived from
//! the `use` declarations and the `crate::`, `super::`, `self::` and
//! `headcheck::` paths in the source, it has no cycle, and each stage
//! imports only the stages the drawing puts below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::visit::Visit;

/// Which top-level modules each top-level module may import: the layering
/// of `src/lib.rs`'s module documentation. `bin` is the command-line layer
/// (src/bin/headcheck), which may import any of the library.
const ALLOWED: &[(&str, &[&str])] = &[
    ("types", &[]),
    ("check", &["types"]),
    ("report", &["types"]),
    ("shard", &["types"]),
    ("cache", &["types", "report"]),
    ("resume", &["types", "report"]),
    ("baseline", &["types", "report"]),
    ("input", &["types", "check", "cache", "resume", "shard"]),
    ("run", &["types", "check", "report", "input"]),
    (
        "bin",
        &[
            "types", "check", "report", "shard", "cache", "resume", "baseline", "input", "run",
        ],
    ),
];

/// A module by its path, `types::target`; the binary's modules start with
/// `bin`.
type Module = Vec<String>;

/// One source file: its module, the root of its crate, and its text.
struct Source {
    module: Module,
    crate_root: Module,
    text: String,
}

/// Edges between modules, each with one path that made it (for messages).
type Graph = BTreeMap<Module, BTreeMap<Module, String>>;

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = graph(&sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
    assert!(graph.len() > 20, "the source was found: {graph:?}");
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between modules:\n{}",
        describe(&graph, &cycles)
    );
}

#[test]
fn stages_import_only_the_stages_below_them() {
    let graph = graph(&sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, edges) in &graph {
        let Some(layer) = from.first().map(String::as_str) else {
            continue;
        };
        let Some(below) = allowed.get(layer) else {
            wrong.push(format!(
                "{} is in no layer: add it to ALLOWED and to src/lib.rs",
                name(from)
            ));
            continue;
        };
        for (to, path) in edges {
            let target = to.first().map_or("(crate root)", String::as_str);
            if target != layer && !below.contains(&target) {
                wrong.push(format!("{} imports {} ({path})", name(from), name(to)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_cycle_through_use_super_and_child_paths_is_found() {
    let source = |module: &[&str], text: &str| Source {
        module: module.iter().map(|s| s.to_string()).collect(),
        crate_root: Vec::new(),
        text: text.to_string(),
    };
    let sources = [
        source(&["a"], "use crate::b::{self, X};"),
        source(&["b"], "mod c; pub use c::Y;"),
        source(&["b", "c"], "fn g() { super::super::a::h(); }"),
        source(
            &["d"],
            "mod e; #[cfg(test)] mod tests { use super::*; use crate::a::Z; }",
        ),
        source(&["d", "e"], "use std::io; use csv::Writer;"),
    ];
    let graph = graph(&sources);
    let cycles = cycles(&graph);
    let members: Vec<Vec<String>> = cycles
        .iter()
        .map(|cycle| cycle.iter().map(name).collect())
        .collect();
    assert_eq!(members, [["a", "b", "b::c"]], "{graph:?}");
    // Declaring `mod e;` is no edge, nor is `use super::*` in an inline
    // module (the file itself), nor a path into another crate; `d` imports
    // `a` from its tests.
    let d = &graph[&vec!["d".to_string()]];
    assert_eq!(d.keys().map(name).collect::<Vec<_>>(), ["a"]);
    assert!(graph[&vec!["d".to_string(), "e".to_string()]].is_empty());
}

/// Every `.rs` file under `src`, with its module path.
fn sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect(src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(src).expect("under src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            let crate_root: Module = if parts.starts_with(&["bin".into(), "headcheck".into()]) {
                parts.drain(..2);
                vec!["bin".into()]
            } else {
                Vec::new()
            };
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let mut module = crate_root.clone();
            module.extend(parts);
            Source {
                module,
                crate_root,
                text: std::fs::read_to_string(&path).expect("readable source"),
            }
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The module graph of `sources`: an edge from each file's module to every
/// module a path in it names.
fn graph(sources: &[Source]) -> Graph {
    let known: BTreeSet<&Module> = sources.iter().map(|s| &s.module).collect();
    let mut graph = Graph::new();
    for source in sources {
        let file = syn::parse_file(&source.text)
            .unwrap_or_else(|e| panic!("{}: {e}", name(&source.module)));
        let mut paths = Paths {
            context: source.module.clone(),
            found: Vec::new(),
        };
        paths.visit_file(&file);
        let edges = graph.entry(source.module.clone()).or_default();
        for (context, path) in paths.found {
            let Some(target) = resolve(&context, &path, &source.crate_root, &known) else {
                continue;
            };
            if target != source.module {
                edges.entry(target).or_insert_with(|| path.join("::"));
            }
        }
    }
    graph
}

/// Paths met in a file, each with the module it was written in (inline
/// modules such as `mod tests` included).
struct Paths {
    context: Module,
    found: Vec<(Module, Vec<String>)>,
}

impl Paths {
    fn add_use(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.add_use(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) if name.ident == "self" => {
                self.found.push((self.context.clone(), prefix.clone()));
            }
            syn::UseTree::Name(name) => {
                let mut path = prefix.clone();
                path.push(name.ident.to_string());
                self.found.push((self.context.clone(), path));
            }
            syn::UseTree::Rename(rename) => {
                let mut path = prefix.clone();
                path.push(rename.ident.to_string());
                self.found.push((self.context.clone(), path));
            }
            syn::UseTree::Glob(_) => self.found.push((self.context.clone(), prefix.clone())),
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.add_use(prefix, item);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // `mod x;` declares a child: not a dependency. An inline module's
        // paths are relative to it.
        if item.content.is_some() {
            self.context.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.context.pop();
        }
    }

    // `pub(super)`, `pub(in crate::x)`: who may see an item, not what it
    // depends on.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.add_use(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.found.push((self.context.clone(), segments));
        syn::visit::visit_path(self, path);
    }
}

/// The module a path names: the longest known module its absolute form
/// starts with. Paths that do not start at the crate (`std::`, a local
/// name) name none.
fn resolve(
    context: &Module,
    path: &[String],
    crate_root: &Module,
    known: &BTreeSet<&Module>,
) -> Option<Module> {
    let (mut absolute, rest) = match path.first()?.as_str() {
        "crate" => (crate_root.clone(), &path[1..]),
        "headcheck" if crate_root == &["bin".to_string()] => (Vec::new(), &path[1..]),
        "self" => (context.clone(), &path[1..]),
        "super" => {
            let mut base = context.clone();
            let supers = path.iter().take_while(|s| *s == "super").count();
            for _ in 0..supers {
                base.pop()?;
            }
            (base, &path[supers..])
        }
        // A path relative to the module, into one of its children.
        first if known.contains(&[context.as_slice(), &[first.to_string()]].concat()) => {
            (context.clone(), path)
        }
        _ => return None,
    };
    absolute.extend(rest.iter().cloned());
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<Module>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'g>(state: &mut State<'g>, module: &'g Module) {
        let n = state.index.len();
        state.index.insert(module, n);
        state.low.insert(module, n);
        state.stack.push(module);
        state.on_stack.insert(module);
        for next in state.graph.get(module).into_iter().flat_map(|e| e.keys()) {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[module].min(state.low[next]);
                state.low.insert(module, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[module].min(state.index[next]);
                state.low.insert(module, low);
            }
        }
        if state.low[module] == state.index[module] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.push(top.clone());
                if top == module {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !state.index.contains_key(module) {
            visit(&mut state, module);
        }
    }
    state.found
}

/// Each cycle's members and the paths that tie them.
fn describe(graph: &Graph, cycles: &[Vec<Module>]) -> String {
    let mut text = String::new();
    for members in cycles {
        let names: Vec<String> = members.iter().map(name).collect();
        text.push_str(&format!("{{{}}}\n", names.join(", ")));
        for from in members {
            for (to, path) in &graph[from] {
                if members.contains(to) {
                    text.push_str(&format!("  {} -> {} ({path})\n", name(from), name(to)));
                }
            }
        }
    }
    text
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "(crate root)".to_string()
    } else {
        module.join("::")
    }
}
