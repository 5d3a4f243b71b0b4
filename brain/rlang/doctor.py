"""What `brain doctor` says about R: the R on PATH, and which of the packages brain's R
features use are missing (IRkernel for notebooks, shiny for apps, jsonlite, remotes)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

FEATURE_PACKAGES = {"IRkernel": "R notebooks (kernel: ir)", "shiny": "Shiny apps",
                    "jsonlite": "the templates' JSON", "remotes": "remotes::install_url"}


@dataclass(frozen=True)
class RFinding:
    """R's state on this machine (status is "ok" or "warn": R is optional)."""

    status: str
    detail: str
    hint: str | None = None


def r_finding() -> RFinding:
    """The R installation and what is missing from it."""
    from brain.errors import BrainError
    from brain.rlang.library import probe_r

    rscript = shutil.which("Rscript")
    if rscript is None:
        return RFinding("warn", "R is not installed (only R projects need it)",
                        "install r-base-core (Debian: apt-get install r-base-core)")
    try:
        version, packages = probe_r()
    except BrainError as error:
        return RFinding("warn", f"Rscript does not work: {error.message}",
                        "reinstall R (r-base-core)")
    missing = [f"{name} ({use})" for name, use in FEATURE_PACKAGES.items()
               if name not in packages]
    detail = f"R {version} ({rscript}), {len(packages)} system package(s)"
    if not missing:
        return RFinding("ok", detail + "; IRkernel, shiny, jsonlite and remotes present")
    return RFinding("warn", detail + "; missing: " + ", ".join(missing),
                    "install them from your system's packages (Debian: r-cran-irkernel, "
                    "r-cran-shiny, r-cran-jsonlite, r-cran-remotes) or list them in env.r")
