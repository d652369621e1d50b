"""A loopback WinRM / PSRP lab: scenario clusters served to the real pypsrp client, with faults.

    scenario = load_scenario(path)
    with Lab(scenario, tls=False, auth="basic").running() as lab:
        lab.endpoints, lab.inventory(), lab.stats
    scenario_facts(scenario)   # the facts document a scan would give, without the network
"""
from scanner.lab.lab import PASSWORD_ENV, Lab, NodeEndpoint
from scanner.lab.outputs import collector_output, scenario_facts
from scanner.lab.scenario import Faults, Scenario, load_scenario, parse_scenario

__all__ = [
    "PASSWORD_ENV",
    "Faults",
    "Lab",
    "NodeEndpoint",
    "Scenario",
    "collector_output",
    "load_scenario",
    "parse_scenario",
    "scenario_facts",
]
