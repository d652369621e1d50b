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

from typing import Any

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

# (device class, device name, device id, hardware id, inf, count, condition)
# {i} numbers repeated devices; a condition names a feature, "defender", or a release set.
_DEVICES: tuple[tuple[str | None, str, str, str | None, str, int, str | None], ...] = (
    ("SYSTEM", "PCI Express Root Complex", "ACPI\\PNP0A08\\{i}", "ACPI\\PNP0A08", "machine.inf", 2, None),
    ("SYSTEM", "PCI Express Root Port", "PCI\\VEN_8086&DEV_2F0{i}&SUBSYS_00000000&REV_02\\3&2411E6FE&0&{i}0",
     "PCI\\VEN_8086&DEV_2F08", "machine.inf", 8, None),
    ("SYSTEM", "PCI standard host CPU bridge", "PCI\\VEN_8086&DEV_2F2{i}&SUBSYS_00000000&REV_02\\3&2411E6FE&0&2{i}",
     "PCI\\VEN_8086&DEV_2F28", "machine.inf", 12, None),
    ("SYSTEM", "PCI standard ISA bridge", "PCI\\VEN_8086&DEV_8D44\\3&2411E6FE&0&F8", "PCI\\VEN_8086&DEV_8D44", "machine.inf", 1, None),
    ("SYSTEM", "Motherboard resources", "ACPI\\PNP0C02\\{i}", "ACPI\\PNP0C02", "machine.inf", 6, None),
    ("SYSTEM", "High precision event timer", "ACPI\\PNP0103\\0", "ACPI\\PNP0103", "machine.inf", 1, None),
    ("SYSTEM", "System CMOS/real time clock", "ACPI\\PNP0B00\\4&1D401FB5&0", "ACPI\\PNP0B00", "machine.inf", 1, None),
    ("SYSTEM", "System timer", "ACPI\\PNP0100\\4&1D401FB5&0", "ACPI\\PNP0100", "machine.inf", 1, None),
    ("SYSTEM", "Programmable interrupt controller", "ACPI\\PNP0000\\4&1D401FB5&0", "ACPI\\PNP0000", "machine.inf", 1, None),
    ("SYSTEM", "Direct memory access controller", "ACPI\\PNP0200\\4&1D401FB5&0", "ACPI\\PNP0200", "machine.inf", 1, None),
    ("SYSTEM", "Microsoft ACPI-Compliant System", "ACPI_HAL\\PNP0C08\\0", "ACPI_HAL\\PNP0C08", "acpi.inf", 1, None),
    ("SYSTEM", "ACPI Fixed Feature Button", "ACPI\\FIXEDBUTTON\\2&DABA3FF&1", "ACPI\\FIXEDBUTTON", "machine.inf", 1, None),
    ("SYSTEM", "ACPI Power Button", "ACPI\\PNP0C0C\\2&DABA3FF&1", "ACPI\\PNP0C0C", "machine.inf", 1, None),
    ("SYSTEM", "Microsoft System Management BIOS Driver", "ROOT\\MSSMBIOS\\0000", "ROOT\\mssmbios", "machine.inf", 1, None),
    ("SYSTEM", "Composite Bus Enumerator", "ROOT\\COMPOSITEBUS\\0000", "ROOT\\CompositeBus", "compositebus.inf", 1, None),
    ("SYSTEM", "UMBus Root Bus Enumerator", "ROOT\\UMBUS\\0000", "root\\umbus", "umbus.inf", 1, None),
    ("SYSTEM", "Remote Desktop Device Redirector Bus", "ROOT\\RDPBUS\\0000", "ROOT\\RDPBUS", "rdpbus.inf", 1, None),
    ("SYSTEM", "Plug and Play Software Device Enumerator", "ROOT\\SWD\\0000", "ROOT\\SWD", "swenum.inf", 1, None),
    ("SYSTEM", "Microsoft Virtual Drive Enumerator", "ROOT\\VDRVROOT\\0000", "ROOT\\vdrvroot", "vdrvroot.inf", 1, None),
    ("SYSTEM", "NDIS Virtual Network Adapter Enumerator", "ROOT\\NDISVIRTUALBUS\\0000", "ROOT\\NdisVirtualBus", "ndisvirtualbus.inf", 1, None),
    ("SYSTEM", "Volume Manager", "ROOT\\VOLMGR\\0000", "ROOT\\VOLMGR", "machine.inf", 1, None),
    ("SYSTEM", "Microsoft Basic Render Driver", "ROOT\\BASICRENDER\\0000", "ROOT\\BasicRender", "basicrender.inf", 1, None),
    ("SYSTEM", "Microsoft Hyper-V Virtualization Infrastructure Driver", "ROOT\\VID\\0000", "ROOT\\VID", "wvid.inf", 1, "Hyper-V"),
    ("SYSTEM", "Microsoft Multi-Path Bus Driver", "ROOT\\MPIO\\0000", "ROOT\\MPIO", "mpio.inf", 1, "Multipath-IO"),
    ("DISPLAY", "Microsoft Basic Display Adapter", "PCI\\VEN_102B&DEV_0534\\4&1E7F5F5F&0&00E0", "PCI\\VEN_102B&DEV_0534", "display.inf", 1, None),
    ("MONITOR", "Generic Non-PnP Monitor", "DISPLAY\\DEFAULT_MONITOR\\1&8713BCA&0&UID0", "MONITOR\\Default_Monitor", "monitor.inf", 1, None),
    ("USB", "USB xHCI Compliant Host Controller", "PCI\\VEN_8086&DEV_8D31\\3&2411E6FE&0&A0", "PCI\\VEN_8086&DEV_8D31", "usbxhci.inf", 1, None),
    ("USB", "USB Root Hub (USB 3.0)", "USB\\ROOT_HUB30\\4&2F4B7E0B&0&0", "USB\\ROOT_HUB30", "usbhub3.inf", 1, None),
    ("USB", "USB Composite Device", "USB\\VID_0624&PID_0249\\{i}", "USB\\VID_0624&PID_0249", "usb.inf", 2, None),
    ("HIDCLASS", "USB Input Device", "USB\\VID_0624&PID_0249&MI_0{i}\\7&1C0D2A6&0&000{i}", "USB\\Class_03", "input.inf", 2, None),
    ("KEYBOARD", "HID Keyboard Device", "HID\\VID_0624&PID_0249&MI_00\\8&1F0A5A9E&0&0000", "HID_DEVICE_SYSTEM_KEYBOARD", "keyboard.inf", 1, None),
    ("MOUSE", "HID-compliant mouse", "HID\\VID_0624&PID_0249&MI_01\\8&2E9A2D3A&0&0000", "HID_DEVICE_SYSTEM_MOUSE", "msmouse.inf", 1, None),
    ("HDC", "Standard SATA AHCI Controller", "PCI\\VEN_8086&DEV_8D02&SUBSYS_06271028&REV_05\\3&2411E6FE&0&FA",
     "PCI\\VEN_8086&DEV_8D02", "mshdc.inf", 1, None),
    ("SCSIADAPTER", "Microsoft iSCSI Initiator", "ROOT\\ISCSIPRT\\0000", "ROOT\\iScsiPrt", "iscsi.inf", 1, None),
    ("SCSIADAPTER", "Microsoft Storage Spaces Controller", "ROOT\\SPACEPORT\\0000", "Root\\Spaceport", "spaceport.inf", 1, None),
    ("NET", "Microsoft Failover Cluster Virtual Adapter", "ROOT\\NET\\0000", "*NetFT", "netft.inf", 1, "Failover-Clustering"),
    ("NET", "Microsoft Kernel Debug Network Adapter", "ROOT\\KDNIC\\0000", "root\\kdnic", "kdnic.inf", 1, None),
    ("NET", "WAN Miniport (IKEv2)", "SWD\\MSRRAS\\MS_AGILEVPNMINIPORT", "ms_agilevpnminiport", "netavpna.inf", 1, None),
    ("NET", "WAN Miniport (L2TP)", "SWD\\MSRRAS\\MS_L2TPMINIPORT", "ms_l2tpminiport", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (PPTP)", "SWD\\MSRRAS\\MS_PPTPMINIPORT", "ms_pptpminiport", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (PPPOE)", "SWD\\MSRRAS\\MS_PPPOEMINIPORT", "ms_pppoeminiport", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (IP)", "SWD\\MSRRAS\\MS_NDISWANIP", "ms_ndiswanip", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (IPv6)", "SWD\\MSRRAS\\MS_NDISWANIPV6", "ms_ndiswanipv6", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (Network Monitor)", "SWD\\MSRRAS\\MS_NDISWANBH", "ms_ndiswanbh", "netrasa.inf", 1, None),
    ("NET", "WAN Miniport (SSTP)", "SWD\\MSRRAS\\MS_SSTPMINIPORT", "ms_sstpminiport", "netsstpa.inf", 1, None),
    ("NET", "Microsoft ISATAP Adapter", "ROOT\\*ISATAP\\000{i}", "*isatap", "nettun.inf", 2, "2012R2,2016"),
    ("NET", "Teredo Tunneling Pseudo-Interface", "ROOT\\*TEREDO\\0000", "*TEREDO", "nettun.inf", 1, "2012R2,2016"),
    ("NET", "Hyper-V Virtual Ethernet Adapter", "ROOT\\VMS_MP\\000{i}", "vms_mp", "wvms_mp.inf", 2, "Hyper-V"),
    ("NET", "Hyper-V Virtual Switch Extension Adapter", "ROOT\\VMS_VSMP\\000{i}", "vms_vsmp", "wvms_vsmp.inf", 1, "Hyper-V"),
    ("VOLUMESNAPSHOT", "Generic volume shadow copy", "STORAGE\\VOLUMESNAPSHOT\\HARDDISKVOLUMESNAPSHOT{i}", "STORAGE\\VolumeSnapshot",
     "volsnap.inf", 2, None),
    ("SOFTWAREDEVICE", "Microsoft Radio Device Enumeration Bus", "SWD\\RADIO\\{i}", "SWD\\Radio", "radio.inf", 1, None),
    ("PRINTQUEUE", "Root Print Queue", "SWD\\PRINTENUM\\PRINTQUEUES", "PRINTENUM\\LocalPrintQueue", "printqueue.inf", 1, None),
)

# Minifilters Windows itself loads, with their Microsoft-allocated altitudes [D18] and the releases
# or features they come with. Instances are typical counts on a node with a handful of volumes.
_FILTERS: tuple[tuple[str, str, int, str | None], ...] = (
    ("bindflt", "409800", 1, "2019,2022,2025"),
    ("WdFilter", "328010", 6, "defender"),
    ("storqosflt", "244000", 0, "2016,2019,2022,2025"),
    ("wcifs", "189900", 0, "2016,2019,2022,2025"),
    ("CldFlt", "180451", 0, "2019,2022,2025"),
    ("Dedup", "180450", 2, "FS-Data-Deduplication"),
    ("FileCrypt", "141100", 0, "2016,2019,2022,2025"),
    ("luafv", "135000", 1, None),
    ("npsvctrig", "46000", 1, None),
    ("Wof", "40700", 2, "2016,2019,2022,2025"),
    ("FileInfo", "40500", 6, None),
)


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
    for device_class, name, device_id, hardware_id, inf, count, condition in _DEVICES:
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
            for name, altitude, instances, condition in _FILTERS
            if _applies(condition, release, feats, defender_running)]
