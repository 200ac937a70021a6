"""MLS504 llm-output-sql-injection: text-to-SQL and text-to-Cypher assistants.

Model output may be a bound parameter of a query, never its text. Chains that run the SQL the model
writes are reported at low severity (run them under a read-only role).
Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import sqlite3

import duckdb
import pandas as pd
import psycopg2
from langchain_community.utilities import SQLDatabase
from langchain_experimental.sql import SQLDatabaseChain
from langchain_neo4j import GraphCypherQAChain, Neo4jGraph
from langchain_openai import ChatOpenAI
from llama_index.core.query_engine import NLSQLTableQueryEngine
from neo4j import GraphDatabase
from openai import OpenAI
from sqlalchemy import create_engine, text

client = OpenAI()
llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)
engine = create_engine("postgresql+psycopg2://analyst@db/sales")
SCHEMA = "orders(id, customer, total, created_at)"


def generate_sql(question):
    """Ask the model for a query: a source for its callers."""
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": f"Write one SQLite query for the schema {SCHEMA}."},
                  {"role": "user", "content": question}],
    )
    return completion.choices[0].message.content.strip().strip("`")


def answer(question):
    sql = generate_sql(question)
    conn = sqlite3.connect("sales.db")
    cursor = conn.cursor()
    cursor.execute(sql)  # expect: MLS504
    rows = cursor.fetchall()
    conn.execute("INSERT INTO audit(question, query) VALUES (?, ?)", (question, sql))  # ok: bound parameters
    conn.executescript(sql)  # expect: MLS504
    return rows


def answer_postgres(question):
    sql = llm.invoke(f"Write a PostgreSQL query for: {question}").content
    with psycopg2.connect("dbname=sales") as conn:
        with conn.cursor() as cur:
            cur.execute(sql)  # expect: MLS504
            cur.execute("SELECT * FROM orders WHERE customer = %s", (sql,))  # ok: a bound parameter
    with engine.connect() as connection:
        connection.execute(text(sql))  # expect: MLS504
        connection.execute(text("SELECT count(*) FROM orders WHERE customer = :c"), {"c": sql})  # ok: bound
    frame = pd.read_sql(sql, engine)  # expect: MLS504
    return frame


def answer_duckdb(question):
    reply = llm.invoke(question)
    query = reply.content
    return duckdb.sql(query).df()  # expect: MLS504


def answer_graph(question):
    cypher = llm.invoke(f"Write a Cypher query for: {question}").content
    driver = GraphDatabase.driver("bolt://localhost:7687", auth=("neo4j", "password"))
    with driver.session() as session:
        session.run(cypher)  # expect: MLS504
        session.run("MATCH (p:Person {name: $name}) RETURN p", name=cypher)  # ok: a query parameter
    graph = Neo4jGraph(url="bolt://localhost:7687")
    return graph.query(cypher)  # expect: MLS504


def langchain_db(question):
    db = SQLDatabase.from_uri("sqlite:///sales.db")
    query = llm.invoke(question).content
    return db.run(query)  # expect: MLS504


def chains(question):
    db = SQLDatabase.from_uri("sqlite:///sales.db")
    chain = SQLDatabaseChain.from_llm(llm, db)  # expect: MLS504  (low: runs the model's SQL)
    graph = Neo4jGraph(url="bolt://localhost:7687")
    cypher_chain = GraphCypherQAChain.from_llm(llm, graph=graph, allow_dangerous_requests=True)  # expect: MLS504, MLS502
    engine_qe = NLSQLTableQueryEngine(sql_database=None, tables=["orders"])  # expect: MLS504
    return chain.invoke(question), cypher_chain, engine_qe


def not_model_output(cursor, customer):
    cursor.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")  # ok for MLS504: not model output
    cursor.execute("SELECT * FROM orders")  # ok: a literal query
    agent = object()
    cursor.execute(agent.invoke(customer))  # ok: an object of unknown class is no source


def make_sql_chain(database, **kwargs):
    """A factory: its caller chose the chain and is where the finding belongs."""
    return SQLDatabaseChain.from_llm(llm, database, **kwargs)  # ok: forwards the caller's arguments
