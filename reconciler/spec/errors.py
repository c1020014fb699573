"""Problems found in spec files, and the one error that carries all of them."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import ReconcilerError


@dataclass(frozen=True)
class SpecProblem:
    """One problem, located as precisely as known: `file:line:column: breadcrumb: message`."""

    file: str
    line: int | None
    column: int | None
    breadcrumb: str
    message: str

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        parts = [part for part in (place, self.breadcrumb, self.message) if part]
        return ": ".join(parts)


class SpecError(ReconcilerError):
    """The spec cannot be used; `problems` lists every problem found, one per line in str()."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
