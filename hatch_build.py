"""Build hook: compiles the C extensions with setuptools' build_ext:
dsr_app/_squash.c (the sweep prefilter's view of a batch of texts) and
dsr_app/matching/_scan.c (its automaton).

A regular wheel gets the compiled modules and a platform tag; an editable install
(``pip install -e .``) gets them built in place, next to their source. It needs a C
compiler and Python's headers; where they are missing the build says so and goes
on without it: dsr_app then works the same, slower (prefilter.py and
identifiers.py fall back to Python), from a wheel for any platform.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    """Compile the C extensions for the wheel being built."""

    def initialize(self, version: str, build_data: dict) -> None:
        """Build the extensions: in place for ``editable``, else into the wheel."""
        from setuptools import Distribution, Extension
        from setuptools.errors import CCompilerError, ExecError, PlatformError

        root = Path(self.root)
        extensions = [
            Extension(name, [name.replace(".", "/") + ".c"])
            for name in ("dsr_app._squash", "dsr_app.matching._scan")
        ]
        dist = Distribution({"ext_modules": extensions})
        dist.script_name = "hatch_build.py"
        command = dist.get_command_obj("build_ext")
        command.inplace = True  # next to the source: found by editable installs
        command.ensure_finalized()
        try:
            command.run()
        except (CCompilerError, ExecError, PlatformError) as error:
            self.app.display_warning(
                f"dsr_app's C extensions not compiled ({error}); "
                "dsr_app works without them, slower"
            )
            return
        for extension in extensions:
            built = root / command.get_ext_filename(extension.name)
            if version != "editable":
                build_data["force_include"][str(built)] = str(
                    built.relative_to(root).as_posix()
                )
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
