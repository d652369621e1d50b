"""Placeholder until the engine lands (being written now)."""
import argparse


def register(sub: argparse._SubParsersAction) -> None:
    pass
