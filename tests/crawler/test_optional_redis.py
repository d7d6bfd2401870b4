"""Without the ``redis`` extra (scrapy-redis, redis) the spider, the CLI and a crawl still work: `make demo`
installs the project without it."""

from __future__ import annotations

import subprocess
import sys

BLOCK_REDIS = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('scrapy_redis', 'redis'):\n"
    "            raise ModuleNotFoundError(f'No module named {name!r} (blocked by the test)')\n"
    "sys.meta_path.insert(0, Block())\n"
)


def test_the_spider_and_the_cli_load_without_scrapy_redis() -> None:
    code = BLOCK_REDIS + (
        "from scrapy.spiderloader import SpiderLoader\n"
        "from scrapy.utils.project import get_project_settings\n"
        "import monitor.cli, crawler.spiders.source, crawler.pipelines, crawler.extensions\n"
        "print(SpiderLoader.from_settings(get_project_settings()).list())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "source" in result.stdout


def test_the_worker_says_which_extra_it_needs(tmp_path) -> None:
    from monitor.cli import SAMPLE_SOURCES

    code = BLOCK_REDIS + (
        "from monitor.cli import main\n"
        f"main(['worker', '--redis', 'redis://127.0.0.1:6379/0', '--sources', {str(SAMPLE_SOURCES)!r},"
        f" '--db', {str(tmp_path / 'w.db')!r}])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "needs the redis extra" in result.stderr and "pip install 'speechwatch[redis]'" in result.stderr
    assert "Traceback" not in result.stderr
