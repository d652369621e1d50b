"""What Windows itself puts in a node's driver and minifilter lists, generated for the lab.

A real `Win32_PnPSignedDriver` query returns hundreds of rows, most of them Microsoft in-box devices
(field review C11/R3 [D25]): PCI bridges and ACPI devices, one row per logical processor, one per
disk and volume, software-enumerated devices (ROOT\\, SWD\\), the WAN Miniports, the Failover
Cluster Virtual Adapter, the Microsoft iSCSI Initiator and the AHCI controller. `fltmc filters`
lists Microsoft's own minifilters, WdFilter (Defender, altitude 328010, inside the FSFilter
Anti-Virus range 320000-329999) among them [D18][D19]. A scenario asks for them with
`windows: {inbox_devices: standard}` instead of pasting hundreds of lines.

Rows are deterministic (no randomness) and shaped as collector.ps1 emits them. The catalogue is
representative, not a copy of any one machine; docs/reality.md says what is verified.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

# OS version string and in-box driver version per release (in-box INF DriverVer carries the OS build).
RELEASES = {
    "2012R2": ("6.3.9600", "6.3.9600.16384"),
    "2016": ("10.0.14393", "10.0.14393.0"),
    "2019": ("10.0.17763", "10.0.17763.1"),
    "2022": ("10.0.20348", "10.0.20348.1"),
    "2025": ("10.0.26100", "10.0.26100.1"),
}
INBOX_DATE = "2006-06-21"  # the DriverDate most in-box INFs carry (machine.inf, netrasa.inf, ...)
SIGNER = "Microsoft Windows"

# The catalogue itself is data: one row per device and per minifilter, with the sources, in
# inbox.yaml beside this module (read once, when a scenario first asks for it).
CATALOGUE = Path(__file__).with_name("inbox.yaml")


@functools.cache
def _catalogue() -> dict[str, list[list[Any]]]:
    """{"devices": [[class, name, device id, hardware id, inf, count, condition], ...],
    "filters": [[name, altitude, instances, condition], ...]}."""
    loaded: dict[str, list[list[Any]]] = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    return loaded


def _applies(condition: str | None, release: str, features: set[str], defender: bool) -> bool:
    if condition is None:
        return True
    if condition == "defender":
        return defender
    parts = set(condition.split(","))
    if parts & set(RELEASES):
        return release in parts
    return condition in features


def _row(device_class: str | None, name: str, device_id: str, hardware_id: str | None, inf: str | None,
         version: str | None, signed: bool | None, provider: str | None = "Microsoft") -> dict[str, Any]:
    return {
        "device_name": name, "device_class": device_class, "device_id": device_id, "hardware_id": hardware_id,
        "version": version, "date": INBOX_DATE if version else None, "provider": provider,
        "manufacturer": "(Standard system devices)" if provider else None, "inf_name": inf, "signed": signed,
        "signer": SIGNER if signed else None,
    }


def inbox_devices(release: str, features: list[str] | None, *, cpus: int, luns: int, paths: int, volumes: int,
                  cpu_name: str = "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz") -> list[dict[str, Any]]:
    """The Microsoft in-box Win32_PnPSignedDriver rows of a node of `release`."""
    _, version = RELEASES[release]
    feats = set(features or [])
    rows = []
    for device_class, name, device_id, hardware_id, inf, count, condition in _catalogue()["devices"]:
        if not _applies(condition, release, feats, defender=False):
            continue
        for i in range(count):
            rows.append(_row(device_class, name, device_id.format(i=i), hardware_id, inf, version, True))
    rows += [_row("PROCESSOR", cpu_name, f"ACPI\\GENUINEINTEL_-_INTEL64_FAMILY_6_MODEL_85_-_{cpu_name.upper()}\\_{i}",
                  "ACPI\\GenuineIntel_-_Intel64_Family_6_Model_85", "cpu.inf", version, True) for i in range(cpus)]
    # Each SAN LUN: one disk device per path, plus the MPIO pseudo-disk over them when MPIO is on.
    mpio = "Multipath-IO" in feats
    for i in range(luns):
        for path in range(paths):
            rows.append(_row("DISKDRIVE", "3PARdata VV SCSI Disk Device",
                             f"SCSI\\DISK&VEN_3PARDATA&PROD_VV\\{path + 5}&1A2B3C4D&0&0000{i:02d}",
                             "SCSI\\Disk3PARdataVV______________3310", "disk.inf", version, True))
        if mpio:
            rows.append(_row("DISKDRIVE", "Multi-Path Disk Device", f"MPIO\\DISK&VEN_3PARDATA&PROD_VV&REV_3310\\1&7F6AC24&0&3630303{i:04d}",
                             "MPIO\\DiskVEN_3PARDATAPROD_VV", "mpiodisk.inf", version, True))
    rows += [_row("VOLUME", "Generic volume", f"STORAGE\\VOLUME\\{{5E9A1C{i:02d}-1B4D-11E9-80B2-806E6F6E6963}}#0000000000100000",
                  "STORAGE\\Volume", "volume.inf", version, True) for i in range(volumes)]
    # A device node with no driver: Win32_PnPSignedDriver lists it with no class, version or signature
    # (PDQ reports HTREE\ROOT\0 "unsigned" on every computer [D25]; whether it has a DeviceName is an
    # open question, the lab takes the unkind answer).
    rows.append(_row(None, "HTREE\\ROOT\\0", "HTREE\\ROOT\\0", None, None, None, None, provider=None))
    return rows


def inbox_filters(release: str, features: list[str] | None, defender_running: bool) -> list[dict[str, Any]]:
    """`fltmc filters` rows of Windows' own minifilters on a node of `release`, highest altitude first."""
    feats = set(features or [])
    return [{"name": name, "altitude": altitude, "instances": instances}
            for name, altitude, instances, condition in _catalogue()["filters"]
            if _applies(condition, release, feats, defender_running)]
