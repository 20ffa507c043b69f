"""RAG and app-stack claims (notebook 05), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("RAG-1", "Retrieval lets a model answer from private data it never saw in training, using it "
         "as a reasoning engine rather than a database.",
         "ZB §2.2", "05", "answer accuracy on private facts with and without retrieval", rule=None)
register("RAG-2", "The LLM app stack (pipelines, embeddings, vector store, orchestration, cache, "
         "logging, validation) has a job at each layer.",
         "ZB-notes, technology stack", "05", "what each layer adds, measured", rule=None)
register("RAG-3", "A model is not a database: without retrieval it cannot know private or fresh facts.",
         "ZB §2.2", "05", "closed-book vs open-book answers", rule=None)
