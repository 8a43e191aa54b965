"""The order in which a file's ``variables:`` are rendered: dependencies first, cycles named."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["dependency_order"]


def dependency_order(deps: Mapping[str, list[str]]) -> tuple[list[str], list[list[str]]]:
    """Dependency order (dependencies first, else declaration order) and the cycles found.

    Iterative depth-first search, so a long chain of variables cannot hit the recursion limit.
    """
    order: list[str] = []
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in deps:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [list(deps[root])]
        while path:
            if pending[-1]:
                nxt = pending[-1].pop(0)
                seen = state.get(nxt)
                if seen == 1:
                    cycles.append([*path[path.index(nxt) :], nxt])
                elif seen is None:
                    state[nxt] = 1
                    path.append(nxt)
                    pending.append(list(deps[nxt]))
                continue
            done = path.pop()
            pending.pop()
            state[done] = 2
            order.append(done)
    return order, cycles
