"""The baseline of the HTTP benchmark: the same two endpoints written by hand with FastAPI and SQLAlchemy 2 async.

``GET /user/{id}`` and ``GET /post?authorId=N&limit=20`` run the same queries as the auto API's
``GET /api/user/{id}`` and ``GET /api/post?authorId=eq.N&per_page=20`` and answer the same JSON
(the list with its total, as the auto API's page metadata has it). Run by uvicorn with
``BENCH_HTTP_DATABASE_URL`` set (a ``postgresql+asyncpg://`` URL).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import ForeignKey, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine(os.environ["BENCH_HTTP_DATABASE_URL"], pool_size=10)
sessions = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "User"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    name: Mapped[str | None]
    active: Mapped[bool]
    score: Mapped[float]
    createdAt: Mapped[datetime]


class Post(Base):
    __tablename__ = "Post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    published: Mapped[bool]
    views: Mapped[int]
    authorId: Mapped[int] = mapped_column(ForeignKey("User.id"))


def _user(row: User) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "active": row.active,
        "score": row.score,
        "createdAt": row.createdAt.isoformat(),
    }


def _post(row: Post) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "published": row.published, "views": row.views, "authorId": row.authorId}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/user/{ident}")
async def user(ident: int) -> dict[str, Any]:
    session: AsyncSession
    async with sessions() as session:
        row = await session.get(User, ident)
    if row is None:
        raise HTTPException(404)
    return _user(row)


@app.get("/post")
async def posts(authorId: int, limit: int = 20) -> dict[str, Any]:
    async with sessions() as session:
        rows = (
            await session.scalars(select(Post).where(Post.authorId == authorId).order_by(Post.id).limit(limit))
        ).all()
        total = await session.scalar(select(func.count()).select_from(Post).where(Post.authorId == authorId))
    return {"data": [_post(row) for row in rows], "page": {"per_page": limit, "total": total}}
