"""MLS110 framework-pickle-opt-in: RAG indexes and stores loaded with
allow_dangerous_deserialization=True.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
import os
from functools import partial

from langchain_community.vectorstores import FAISS, Annoy, ScaNN
from langchain_community.vectorstores import FAISS as VectorIndex
from langchain_openai import OpenAIEmbeddings

INDEX_DIR = "./indexes/support-docs"
EXPORT_DIR = "./exports/support-docs"
CACHE_DIR = "./cache/faq-index"
TRUST_INDEX = True
FROM_ENV = os.environ.get("TRUST_INDEX") == "1"
INDEX_KWARGS = {"index_name": "docs", "allow_dangerous_deserialization": True}
SAFE_INDEX_KWARGS = dict(index_name="docs", allow_dangerous_deserialization=False)


def build_retriever(user_upload_dir, blob):
    embeddings = OpenAIEmbeddings()
    store = FAISS.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=True)  # expect: MLS110
    store = VectorIndex.load_local(  # expect: MLS110
        user_upload_dir,
        embeddings,
        allow_dangerous_deserialization=TRUST_INDEX,
    )
    store = FAISS.load_local(INDEX_DIR, embeddings, **INDEX_KWARGS)  # expect: MLS110
    store = FAISS.load_local(INDEX_DIR, embeddings, **{"allow_dangerous_deserialization": 1})  # expect: MLS110
    store = FAISS.deserialize_from_bytes(blob, embeddings, allow_dangerous_deserialization=True)  # expect: MLS110
    annoy = Annoy.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=True)  # expect: MLS110
    scann = ScaNN.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=True)  # expect: MLS110
    return store.as_retriever(), annoy, scann


def load_index(path, embeddings, allow_dangerous_deserialization=False):  # ok: a definition
    return FAISS.load_local(path, embeddings, allow_dangerous_deserialization=allow_dangerous_deserialization)  # ok


def wrappers(paths, embeddings):
    stores = [load_index(p, embeddings, allow_dangerous_deserialization=True) for p in paths]  # expect: MLS110
    trusting = functools.partial(FAISS.load_local, allow_dangerous_deserialization=True)  # expect: MLS110
    stores += [trusting(p, embeddings) for p in paths]  # ok: reported where the partial is made
    plain = partial(FAISS.load_local, embeddings=embeddings)  # ok
    stores += [plain(p) for p in paths]  # ok
    stores.append(plain(paths[0], allow_dangerous_deserialization=True))  # expect: MLS110
    restore = lambda p: FAISS.load_local(p, embeddings, allow_dangerous_deserialization=True)  # expect: MLS110
    return stores, restore


def build_retriever_safely(embeddings, flag):
    store = FAISS.load_local(INDEX_DIR, embeddings)  # ok: refuses to unpickle the docstore
    store = FAISS.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=False)  # ok
    store = FAISS.load_local(INDEX_DIR, embeddings, **SAFE_INDEX_KWARGS)  # ok
    store = FAISS.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=flag)  # ok: unresolvable
    store = FAISS.load_local(INDEX_DIR, embeddings, allow_dangerous_deserialization=FROM_ENV)  # ok: not a literal
    store.save_local(EXPORT_DIR)  # ok: writing
    settings = {"allow_dangerous_deserialization": True}  # ok: not passed to a call
    return store, settings


def test_index_round_trip(tmp_path, docs):
    index = FAISS.from_documents(docs, OpenAIEmbeddings())
    index.save_local(str(tmp_path))
    FAISS.load_local(str(tmp_path), OpenAIEmbeddings(), allow_dangerous_deserialization=True)  # ok: temp dir


def rebuild(index, folder):
    index.save_local(folder)
    return FAISS.load_local(folder, OpenAIEmbeddings(), allow_dangerous_deserialization=True)  # ok: just written


class FaqIndexCache:
    def build(self, docs):
        FAISS.from_documents(docs, OpenAIEmbeddings()).save_local(CACHE_DIR)

    def get(self):
        return FAISS.load_local(CACHE_DIR, OpenAIEmbeddings(), allow_dangerous_deserialization=True)  # ok: own cache
