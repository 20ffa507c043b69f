"""``python -m nbkit rag index FOLDER`` and ``python -m nbkit rag ask "question"``: notebook 05's pipeline
on your own notes.

``index`` reads every ``.txt``/``.md``/``.markdown``/``.rst`` file under FOLDER (UTF-8 text), de-duplicates
paragraphs, cuts ~100-word chunks, embeds them with a packaged sentence encoder and stores them, with
their file and position, in an embedded Qdrant database under ``cache_dir()/rag/index`` (a Qdrant
server instead when ``NBKIT_QDRANT_URL`` is set). Everything is checked before anything is written;
the new index is built beside the old one and swapped in at the end, so a failed run leaves the
previous index intact and nothing half-written (on a server, the collection is replaced in place).

``ask`` retrieves the top ``--k`` chunks (dense + BM25, fused), answers with SmolLM2-135M-Instruct,
prints the answer with its sources (``--json``: ``{"answer", "sources": [{"file", "text", "score"}],
"timings"}``) and appends the query to ``cache_dir()/rag/queries.jsonl``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from . import config

SUFFIXES = (".txt", ".md", ".markdown", ".rst")
FORMAT = 1  # bump when the index layout changes; older indexes must be rebuilt
COLLECTION = "notes"


class RagError(Exception):
    """A user-facing problem with one clear message (printed as ``error: …``, exit status 2)."""


def index_dir() -> Path:
    """Where the index lives: ``cache_dir()/rag/index`` (``manifest.json`` + ``qdrant/``)."""
    return config.cache_dir() / "rag" / "index"


def read_folder(folder: str | Path) -> list:
    """The text files under ``folder`` as ``corpus.Document(relative path, text)``, sorted by path.

    Raises ``RagError`` for a missing folder, a folder without text files, a
    text file that is not UTF-8 (e.g. a binary renamed ``.txt``), or files with no text at all.
    """
    from .corpus import Document

    root = Path(folder).expanduser()
    if not root.is_dir():
        raise RagError(f"folder {str(folder)!r} does not exist or is not a folder")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    if not files:
        raise RagError(f"no text files ({', '.join(SUFFIXES)}) in {str(root)!r}; nothing to index")
    docs = []
    for path in files:
        data = path.read_bytes()
        try:
            if b"\x00" in data:
                raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RagError(f"{path.relative_to(root)} is not UTF-8 text (a binary file?); remove or convert it, "
                           "then index again") from None
        if text.strip():
            docs.append(Document(path.relative_to(root).as_posix(), text))
    if not docs:
        raise RagError(f"the text files in {str(root)!r} are all empty; nothing to index")
    return docs


def build_index(folder: str | Path, model: str = "minilm-l6", size: int = 100, overlap: int = 25,
                quiet: bool = False) -> dict:
    """Index ``folder`` (see the module docstring); returns the manifest written."""
    from . import corpus, embed, retrieval, vectorstore

    if model not in embed.SENTENCE_MODELS:
        raise RagError(f"unknown embedding model {model!r}; choose one of {', '.join(embed.SENTENCE_MODELS)}")
    docs = read_folder(folder)
    kept, report = corpus.deduplicate(docs, min_chars=1)
    chunks = retrieval.chunk_documents(kept, size, overlap)
    if not chunks:
        raise RagError("no chunks to index after cleaning and de-duplication")
    start = time.perf_counter()
    vectors = embed.encode(model, [c.text for c in chunks], progress=not quiet)
    target = index_dir()
    tmp = target.with_name(f"index.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        store = vectorstore.VectorStore(COLLECTION, dim=vectors.shape[1], path=tmp / "qdrant", recreate=True)
        store.add(vectors, [{"file": c.doc_id, "position": c.position, "text": c.text} for c in chunks])
        store.close()
        manifest = {"format": FORMAT, "model": model, "chunking": {"size": size, "overlap": overlap},
                    "folder": str(Path(folder).expanduser().resolve()), "files": len(docs), "chunks": len(chunks),
                    "dedup": str(report), "qdrant": vectorstore.qdrant_mode(),
                    "built": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(time.perf_counter() - start, 2)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        old = target.with_name(f"index.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def load_manifest(model: str | None = None) -> dict:
    """The current index's manifest; ``RagError`` if there is none, it is outdated, or it was built
    with another embedding model than ``model``."""
    path = index_dir() / "manifest.json"
    if not path.is_file():
        raise RagError("no index yet: run `python -m nbkit rag index FOLDER` first")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise RagError("the index was built by another version of nbkit; run `python -m nbkit rag index FOLDER` again")
    if model is not None and manifest["model"] != model:
        raise RagError(f"the index was built with the embedding model {manifest['model']!r}, not {model!r}: "
                       f"ask with --model {manifest['model']}, or rebuild it with "
                       f"`python -m nbkit rag index FOLDER --model {model}`")
    return manifest


def ask(question: str, k: int = 3, model: str | None = None, hybrid: bool = True):
    """Answer ``question`` from the current index; returns a ``rag.Answer``."""
    from . import embed, llm, rag, vectorstore

    if not isinstance(question, str) or not question.strip():
        raise RagError("the question is empty")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise RagError(f"--k must be a positive integer, got {k!r}")
    manifest = load_manifest(model)
    start = time.perf_counter()
    embed.load(manifest["model"])  # load both models first, so the timings below are the query's own
    generator = llm.load(verbose=False)
    load_s = time.perf_counter() - start
    store = vectorstore.VectorStore(COLLECTION, dim=embed.SENTENCE_MODELS[manifest["model"]].dim,
                                    path=index_dir() / "qdrant")
    try:
        pipe = rag.Pipeline(store, manifest["model"], generator=generator,
                            log=rag.QueryLog(config.cache_dir() / "rag" / "queries.jsonl"))
        answer = pipe.ask(question, k=k, hybrid=hybrid)
    finally:
        store.close()
    answer.timings["load_s"] = load_s
    return answer


def add_command(sub) -> None:
    """Register ``rag index`` and ``rag ask`` on the CLI's subparsers."""
    from . import embed

    rag = sub.add_parser("rag", help="retrieval-augmented answers from your own text files (notebook 05)")
    verbs = rag.add_subparsers(dest="rag_command", required=True)
    idx = verbs.add_parser("index", help="index a folder of .txt/.md files (replaces the previous index)")
    idx.add_argument("folder", help="folder to index (searched recursively)")
    idx.add_argument("--model", default="minilm-l6", choices=list(embed.SENTENCE_MODELS), help="sentence encoder")
    idx.add_argument("--size", type=int, default=100, help="words per chunk (default 100)")
    idx.add_argument("--overlap", type=int, default=25, help="words shared by consecutive chunks (default 25)")
    ask_p = verbs.add_parser("ask", help="answer a question from the index, with its sources")
    ask_p.add_argument("question")
    ask_p.add_argument("--k", type=int, default=3, help="passages to retrieve (default 3)")
    ask_p.add_argument("--json", action="store_true", help='print {"answer", "sources", "timings"} as JSON')
    ask_p.add_argument("--model", default=None, choices=list(embed.SENTENCE_MODELS),
                       help="expected embedding model (must match the index's)")
    ask_p.add_argument("--dense-only", action="store_true", help="no BM25 fusion")


def command(args) -> int:
    """Run ``rag index`` or ``rag ask``; returns the exit status (2 with one ``error:`` line on bad input)."""
    try:
        if args.rag_command == "index":
            if args.size < 1 or not 0 <= args.overlap < args.size:
                raise RagError(f"need --size >= 1 and 0 <= --overlap < --size, got {args.size} and {args.overlap}")
            m = build_index(args.folder, model=args.model, size=args.size, overlap=args.overlap)
            print(f"indexed {m['files']} files as {m['chunks']} chunks with {m['model']} in {m['seconds']} s "
                  f"({m['qdrant']} Qdrant) -> {index_dir()}")
            return 0
        result = ask(args.question, k=args.k, model=args.model, hybrid=not args.dense_only)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return 0
    print(result.answer)
    print("\nsources:")
    for i, s in enumerate(result.sources, 1):
        text = s.text if len(s.text) <= 240 else s.text[:240] + "…"
        print(f"  [{i}] {s.file} (passage {s.position}, score {s.score:.3f}): {text}")
    t = result.timings
    print(f"\nretrieve {t['retrieve_s']:.2f} s, generate {t['generate_s']:.2f} s (models loaded in {t['load_s']:.1f} s)")
    return 0
