"""Search "customer project activity" combinations as the user types.

Scale: 10,000 projects and 50,000 activities, under 8 ms per keystroke. Three ideas:

* Global activities combine with every project that allows them, so those combos are never
  materialised: tokens are matched against project labels and global names separately and
  a combo matches when each token hits its project or its activity.
* Scores are tiers: a token hit at a word start counts 1, inside a word 0, a subsequence
  (fuzzy) hit puts the combo in a band below all substring hits; inactive combos lose 1.5.
  Because scores are small integers, the best combos are collected bucket by bucket with
  set intersections (C speed) and collection stops once `limit` are found.
* Hit sets are cached per token; a longer token only filters its prefix's hits, which is
  what typing produces.

Combos the user picked before (recent/frequent) are scored one by one with a usage bonus.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from kimai_tray.core.models import Activity, Customer, Project
from kimai_tray.core.state import NamedRef

INACTIVE_PENALTY = 1.5
FUZZY_BAND = -10.0
MAX_TOKENS = 6
_CACHE_SIZE = 512
FUZZY_BUDGET = 4000  # regex checks per token; about 2 ms


@dataclass(frozen=True, slots=True)
class CatalogMatch:
    """One pickable combination; `inactive` for hidden projects or those outside their dates."""

    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    inactive: bool
    score: float


@dataclass(frozen=True, slots=True)
class Usage:
    count: int
    last_used: float  # POSIX seconds


def _words(text: str) -> str:
    """Lower-case words joined by single spaces, padded, so ' tok' finds word starts."""
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


class _Hits:
    """Per-token hit sets over a list of normalised texts, cached; prefixes narrow the scan."""

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._sub: dict[str, frozenset[int]] = {}
        self._word: dict[str, frozenset[int]] = {}
        self._fuzzy: dict[str, frozenset[int]] = {}
        self._inner: dict[str, frozenset[int]] = {}
        self._too_costly: set[str] = set()
        # Single characters are the costly first keystroke: index them in one pass up front.
        chars: dict[str, list[int]] = {}
        starts: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            for ch in set(text):
                chars.setdefault(ch, []).append(i)
            for ch in {w[0] for w in text.split()}:
                starts.setdefault(ch, []).append(i)
        self._sub.update((ch, frozenset(ids)) for ch, ids in chars.items() if ch != " ")
        self._word.update((ch, frozenset(ids)) for ch, ids in starts.items())

    def _source(self, cache: dict[str, frozenset[int]], token: str) -> Iterable[int]:
        for cut in range(len(token) - 1, 0, -1):
            found = cache.get(token[:cut])
            if found is not None:
                return found
        return range(len(self._texts))

    @staticmethod
    def _store(cache: dict[str, frozenset[int]], token: str, value: frozenset[int]) -> None:
        if len(cache) > _CACHE_SIZE:
            for key in [k for k in cache if len(k) > 1]:
                del cache[key]
        cache[token] = value

    def sub(self, token: str) -> frozenset[int]:
        found = self._sub.get(token)
        if found is None and len(token) == 1:
            return frozenset()  # every character that occurs was indexed up front
        if found is None:
            texts = self._texts
            found = frozenset(i for i in self._source(self._sub, token) if token in texts[i])
            self._store(self._sub, token, found)
        return found

    def word(self, token: str) -> frozenset[int]:
        found = self._word.get(token)
        if found is None and len(token) == 1:
            return frozenset()
        if found is None:
            texts = self._texts
            needle = " " + token
            src = self._source(self._word, token)
            if isinstance(src, range):
                src = self.sub(token)
            found = frozenset(i for i in src if needle in texts[i])
            self._store(self._word, token, found)
        return found

    def inner(self, token: str) -> frozenset[int]:
        """Hits inside a word only."""
        found = self._inner.get(token)
        if found is None:
            found = self.sub(token) - self.word(token)
            self._store(self._inner, token, found)
        return found

    def fuzzy(self, token: str) -> frozenset[int]:
        """Texts holding the token as a subsequence; empty when too costly to check.

        Candidates come from the prefix's fuzzy hits or from the single-character hits; when
        more than FUZZY_BUDGET remain the fuzzy band is skipped (it is only a fallback).
        """
        found = self._fuzzy.get(token)
        if found is not None:
            return found
        if token in self._too_costly:
            return frozenset()
        src = self._source(self._fuzzy, token)
        candidates = (
            _intersect([self.sub(ch) for ch in set(token)])
            if isinstance(src, range)
            else frozenset(src)
        )
        if len(candidates) > FUZZY_BUDGET:
            self._too_costly.add(token)
            return frozenset()
        texts = self._texts
        search = re.compile(".*?".join(re.escape(ch) for ch in token)).search
        found = frozenset(i for i in candidates if search(texts[i]))
        self._store(self._fuzzy, token, found)
        return found


class SearchIndex:
    """In-memory index over the catalog; `search` is pure (apart from its caches)."""

    def __init__(
        self,
        customers: Iterable[Customer],
        projects: Iterable[Project],
        activities: Iterable[Activity],
        usage: dict[tuple[int, int], Usage],
        today: date,
    ) -> None:
        cust = {c.id: c for c in customers}
        self._projects = list(projects)
        self._pidx = {p.id: i for i, p in enumerate(self._projects)}
        self._pcust: list[NamedRef] = []
        plabels: list[str] = []
        inactive_p: set[int] = set()
        for i, p in enumerate(self._projects):
            c = cust.get(p.customer_id)
            cname = c.name if c else p.customer_name
            self._pcust.append(NamedRef(p.customer_id, cname))
            plabels.append(_words(f"{cname} {p.name}"))
            if not p.visible or (c is not None and not c.visible) or not p.is_active_on(today):
                inactive_p.add(i)
        self._inactive_p = frozenset(inactive_p)
        self._allow = frozenset(i for i, p in enumerate(self._projects) if p.global_activities)

        # Project-specific activities: one combo each, matched on the combined label.
        self._s_pi: list[int] = []
        self._s_act: list[Activity] = []
        slabels: list[str] = []
        inactive_s: set[int] = set()
        self._globals: list[Activity] = []
        for a in activities:
            if a.project_id is None:
                self._globals.append(a)
                continue
            pi = self._pidx.get(a.project_id)
            if pi is None:
                continue
            if pi in inactive_p or not a.visible:
                inactive_s.add(len(self._s_pi))
            self._s_pi.append(pi)
            self._s_act.append(a)
            slabels.append(plabels[pi] + a.name.lower() + " ")
        self._inactive_s = frozenset(inactive_s)
        self._sidx = {
            (self._projects[pi].id, a.id): i
            for i, (pi, a) in enumerate(zip(self._s_pi, self._s_act, strict=True))
        }
        self._gidx = {a.id: i for i, a in enumerate(self._globals)}
        self._p_hits = _Hits(plabels)
        self._s_hits = _Hits(slabels)
        self._g_hits = _Hits([_words(a.name) for a in self._globals])

        self._bonus: dict[tuple[int, int], float] = {}
        self.set_usage(usage)

    def set_usage(self, usage: dict[tuple[int, int], Usage]) -> None:
        """Replace the usage counts (cheap: the text index stays)."""
        now = max((u.last_used for u in usage.values()), default=0.0)
        self._bonus = {}
        for key, u in usage.items():
            # Frequency counts logarithmically; recency decays over about a week.
            age_days = max(0.0, (now - u.last_used) / 86400.0)
            self._bonus[key] = 0.5 * math.log1p(u.count) + math.exp(-age_days / 7.0)

    # -- public -------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[CatalogMatch]:
        tokens = list(dict.fromkeys(re.findall(r"\w+", query.lower())))[:MAX_TOKENS]
        if not tokens:
            ranked = sorted(self._bonus.items(), key=lambda kv: -kv[1])
            found = [(b, *ref) for (pid, aid), b in ranked if (ref := self._ref(pid, aid))]
            return [self._make(*row) for row in found[:limit]]
        results: dict[tuple[int, int], float] = dict(self._used(tokens))
        # Used combos are all in `results`; the rest come best tier first until `limit` more.
        added = 0
        for key, score in self._tiers(tokens):
            if added >= limit:
                break
            if key not in results:
                results[key] = score
                added += 1
        ranked_keys = sorted(results, key=lambda k: (-results[k], k))[:limit]
        return [self._make(results[k], *self._split(k)) for k in ranked_keys]

    # -- scoring ------------------------------------------------------------------------

    def _ref(self, pid: int, aid: int) -> tuple[int, Activity] | None:
        pi = self._pidx.get(pid)
        if pi is None:
            return None
        si = self._sidx.get((pid, aid))
        if si is not None:
            return pi, self._s_act[si]
        gi = self._gidx.get(aid)
        if gi is not None and pi in self._allow:
            return pi, self._globals[gi]
        return None

    def _split(self, key: tuple[int, int]) -> tuple[int, Activity]:
        """Keys are (project index, activity index) with activity index < 0 for globals."""
        pi, ai = key
        return (pi, self._globals[-ai - 1]) if ai < 0 else (pi, self._s_act[ai])

    def _used(self, tokens: list[str]) -> Iterator[tuple[tuple[int, int], float]]:
        for (pid, aid), bonus in self._bonus.items():
            pi = self._pidx.get(pid)
            if pi is None:
                continue
            si = self._sidx.get((pid, aid))
            gi = self._gidx.get(aid)
            text = 0.0
            for t in tokens:
                g, p, sh = self._g_hits, self._p_hits, self._s_hits
                if si is not None:
                    q = self._quality(si in sh.word(t), si in sh.sub(t))
                    if q is None and si in sh.fuzzy(t):
                        q = FUZZY_BAND
                elif gi is not None and pi in self._allow:
                    q = self._quality(
                        gi in g.word(t) or pi in p.word(t), gi in g.sub(t) or pi in p.sub(t)
                    )
                    if q is None and (gi in g.fuzzy(t) or pi in p.fuzzy(t)):
                        q = FUZZY_BAND
                else:
                    break
                if q is None:
                    break
                text += q
            else:
                if si is not None:
                    inactive = si in self._inactive_s
                    key = (pi, si)
                else:
                    assert gi is not None
                    inactive = pi in self._inactive_p or not self._globals[gi].visible
                    key = (pi, -gi - 1)
                yield key, text + bonus - (INACTIVE_PENALTY if inactive else 0.0)

    @staticmethod
    def _quality(word: bool, sub: bool) -> float | None:
        return 1.0 if word else (0.0 if sub else None)

    def _tiers(self, tokens: list[str]) -> Iterator[tuple[tuple[int, int], float]]:
        """All matching combos, best score first (substring tiers, then the fuzzy band)."""
        n = len(tokens)
        levels = sorted(
            (
                (k - (INACTIVE_PENALTY if inactive else 0.0), k, inactive)
                for k in range(n, -1, -1)
                for inactive in (False, True)
            ),
            reverse=True,
        )
        for score, k, inactive in levels:
            for word_set in itertools.combinations(range(n), k):
                for key in self._bucket(tokens, set(word_set), inactive):
                    yield key, score
        for inactive in (False, True):
            score = FUZZY_BAND - (INACTIVE_PENALTY if inactive else 0.0)
            for key in self._fuzzy_bucket(tokens, inactive):
                yield key, score

    def _bucket(
        self, tokens: list[str], word_set: set[int], inactive: bool
    ) -> Iterator[tuple[int, int]]:
        s = self._s_hits
        # Specific combos: word hits for the chosen tokens, plain substring hits for the rest.
        parts = [s.word(t) if k in word_set else s.inner(t) for k, t in enumerate(tokens)]
        found = _intersect(parts)
        found = found & self._inactive_s if inactive else found - self._inactive_s
        for si in found:
            yield (self._s_pi[si], si)
        # Global combos, grouped by how each global activity hits each token.
        for signature, members in self._global_groups(tokens, fuzzy=False).items():
            projects = self._projects_for(tokens, signature, word_set)
            if projects is None:
                continue
            yield from self._global_pairs(members, projects, inactive)

    def _global_pairs(
        self, members: list[int], projects: frozenset[int], inactive: bool
    ) -> Iterator[tuple[int, int]]:
        """(project, -global-1) pairs: a hidden global activity pairs with any project (it is
        offered only among inactive rows); a visible one with the projects of this kind."""
        for gi in members:
            hidden = not self._globals[gi].visible
            if hidden and not inactive:
                continue
            chosen = (
                projects
                if hidden
                else (projects & self._inactive_p if inactive else projects - self._inactive_p)
            )
            for pi in chosen:
                yield (pi, -gi - 1)

    def _global_groups(self, tokens: list[str], *, fuzzy: bool) -> dict[tuple[str, ...], list[int]]:
        g = self._g_hits
        groups: dict[tuple[str, ...], list[int]] = {}
        if fuzzy:
            hits = [g.fuzzy(t) for t in tokens]
            for gi in range(len(self._globals)):
                sig = tuple("s" if gi in h else "n" for h in hits)
                groups.setdefault(sig, []).append(gi)
            return groups
        words = [g.word(t) for t in tokens]
        subs = [g.sub(t) for t in tokens]
        for gi in range(len(self._globals)):
            sig = tuple(
                "w" if gi in w else ("s" if gi in sb else "n")
                for w, sb in zip(words, subs, strict=True)
            )
            groups.setdefault(sig, []).append(gi)
        return groups

    def _projects_for(
        self, tokens: list[str], signature: tuple[str, ...], word_set: set[int]
    ) -> frozenset[int] | None:
        """Projects that, paired with a global of this signature, score exactly `word_set`."""
        p = self._p_hits
        include: list[frozenset[int]] = [self._allow]
        exclude: list[frozenset[int]] = []
        for k, t in enumerate(tokens):
            hit = signature[k]
            if k in word_set:
                if hit != "w":
                    include.append(p.word(t))
            elif hit == "w":
                return None  # this global always hits t at a word start
            elif hit == "n":
                include.append(p.inner(t))
            else:
                exclude.append(p.word(t))
        found = _intersect(include)
        for ex in exclude:
            found = found - ex
        return found

    def _fuzzy_bucket(self, tokens: list[str], inactive: bool) -> Iterator[tuple[int, int]]:
        s, p = self._s_hits, self._p_hits
        found = _intersect([s.fuzzy(t) for t in tokens])
        found = found & self._inactive_s if inactive else found - self._inactive_s
        for si in found:
            yield (self._s_pi[si], si)
        for signature, members in self._global_groups(tokens, fuzzy=True).items():
            need = [p.fuzzy(t) for k, t in enumerate(tokens) if signature[k] == "n"]
            projects = _intersect([self._allow, *need])
            yield from self._global_pairs(members, projects, inactive)

    def _make(self, score: float, pi: int, activity: Activity) -> CatalogMatch:
        p = self._projects[pi]
        inactive = pi in self._inactive_p or not activity.visible
        return CatalogMatch(
            customer=self._pcust[pi],
            project=NamedRef(p.id, p.name),
            activity=NamedRef(activity.id, activity.name),
            inactive=inactive,
            score=round(score, 4),
        )


def _intersect(sets: list[frozenset[int]]) -> frozenset[int]:
    """Intersection, smallest first (C-speed set operations)."""
    ordered = sorted(sets, key=len)
    found = ordered[0]
    for other in ordered[1:]:
        if not found:
            break
        found = found & other
    return found
