"""``python -m demo_shop --port 8001``: serve the demo shop (settings: demo_shop/app.py)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from demo_shop.app import ShopSettings, create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create_app(ShopSettings.from_env(os.environ)), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
