# rollready-collector-version: 1
#
# rollready collector: read-only fact collection on one Windows Server failover-cluster node.
#
# * PowerShell 4.0 compatible (Windows Server 2012 R2): no classes, no ::new(), no ternary or
#   null-coalescing operators, no PowerShell 5+/7 cmdlets or parameters.
# * Read-only: it queries cmdlets, CIM/WMI classes and the registry; it changes nothing on the node
#   (Remove-TypeData below only affects this PowerShell session).
# * Every section runs inside Invoke-Section: its own try/catch, its duration in node.timings, its
#   error (one line) in node.errors (cluster sections: cluster.errors) and its keys set to $null
#   ("could not be collected").
# * Output: exactly ONE string, the JSON document
#   {"collector_version": "1", "node": {...}, "cluster": {...} | null}
#   matching schemas/facts.schema.json#/$defs/collector_output.
#
# Run by hand (offline mode, as an administrator), writing UTF-8 whatever the console code page:
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "& .\collector.ps1 | Set-Content -Encoding UTF8 -Path $env:COMPUTERNAME.json"
param(
    [int] $WmiTimeoutSec = 30
)

$ErrorActionPreference = 'Stop'
$CollectorVersion = '1'

# Windows PowerShell serialises PSObject-wrapped arrays as {"value": [...], "Count": n} because of
# the System.Array ETS type data; removing it for this session keeps arrays as JSON arrays.
try { Remove-TypeData -TypeName System.Array -ErrorAction Stop } catch { }

$script:NodeErrors = New-Object System.Collections.ArrayList
$script:ClusterErrors = New-Object System.Collections.ArrayList
$script:Timings = @{}
$script:Work = @{}
$script:ServiceNames = @('ClusSvc', 'vmms', 'ddpsvc', 'ddpvssvc', 'WinDefend', 'WinRM', 'Winmgmt', 'LanmanServer', 'MSiSCSI')

# ---------------------------------------------------------------------------------------------
# Helpers (no side effects outside this session)
# ---------------------------------------------------------------------------------------------

function Get-OneLine {
    param($Text)
    if ($null -eq $Text) { return '' }
    return (([string]$Text) -replace '\s+', ' ').Trim()
}

function Add-CollectorError {
    param(
        [string] $Section,
        [string] $Message,
        $DurationMs,
        [System.Collections.ArrayList] $ErrorList
    )
    $entry = @{ section = $Section; message = (Get-OneLine $Message); duration_ms = $null }
    if ($null -ne $DurationMs) { $entry.duration_ms = [int]$DurationMs }
    [void]$ErrorList.Add($entry)
}

# Runs one section: $Block returns a hashtable holding exactly $Keys; they are copied into $Target.
# On any error every key becomes $null and the error is recorded with its duration.
function Invoke-Section {
    param(
        [string] $Name,
        [hashtable] $Target,
        [string[]] $Keys,
        [scriptblock] $Block,
        [System.Collections.ArrayList] $ErrorList
    )
    if ($null -eq $ErrorList) { $ErrorList = $script:NodeErrors }
    foreach ($key in $Keys) { $Target[$key] = $null }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        $values = & $Block
        if (-not ($values -is [hashtable])) {
            throw "section $Name produced unexpected output"
        }
        foreach ($key in $Keys) { $Target[$key] = $values[$key] }
    } catch {
        foreach ($key in $Keys) { $Target[$key] = $null }
        Add-CollectorError -Section $Name -Message $_.Exception.Message -DurationMs $watch.ElapsedMilliseconds -ErrorList $ErrorList
    } finally {
        $watch.Stop()
        $script:Timings[$Name] = [int]$watch.ElapsedMilliseconds
    }
}

function ConvertTo-IsoDate {
    param($Value, [switch] $DateOnly)
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) {
        if ($DateOnly) { return $Value.ToString('yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture) }
        return $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
    }
    $text = ([string]$Value).Trim()
    if ($text.Length -eq 0) { return $null }
    if ($text -match '^\d{14}\.\d{6}[+-]\d{3}$') {
        $parsed = [System.Management.ManagementDateTimeConverter]::ToDateTime($text)
        if ($DateOnly) { return ConvertTo-IsoDate -Value $parsed -DateOnly }
        return ConvertTo-IsoDate -Value $parsed
    }
    if ($text -match '^[0-9a-fA-F]{16}$') {
        return ConvertTo-IsoDate -Value ([datetime]::FromFileTimeUtc([Convert]::ToInt64($text, 16))) -DateOnly
    }
    $date = New-Object datetime
    if ([datetime]::TryParse($text, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::None, [ref]$date)) {
        return ConvertTo-IsoDate -Value $date -DateOnly
    }
    return $text
}

function Get-ReleaseName {
    param([int] $Build)
    switch ($Build) {
        9600 { return '2012R2' }
        14393 { return '2016' }
        17763 { return '2019' }
        20348 { return '2022' }
        26100 { return '2025' }
    }
    return $null
}

function Get-OptionalProperty {
    param($Object, [string] $Name)
    if ($null -eq $Object) { return $null }
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function Get-NameOrNull {
    param($Object)
    if ($null -eq $Object) { return $null }
    $name = Get-OptionalProperty -Object $Object -Name 'Name'
    if ($null -ne $name) { return [string]$name }
    return [string]$Object
}

function ConvertTo-IntOrNull {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [int64]$Value
}

function ConvertTo-StringOrNull {
    param($Value)
    if ($null -eq $Value) { return $null }
    $text = [string]$Value
    if ($text.Length -eq 0) { return $null }
    return $text
}

function ConvertTo-VolumePath {
    param([string] $Path)
    if ([string]::IsNullOrEmpty($Path)) { return $null }
    return $Path.TrimEnd('\')
}

function Get-CimQuery {
    param([string] $Namespace, [string] $ClassName, [string] $Filter)
    if ($Filter) {
        return @(Get-CimInstance -Namespace $Namespace -ClassName $ClassName -Filter $Filter -OperationTimeoutSec $WmiTimeoutSec)
    }
    return @(Get-CimInstance -Namespace $Namespace -ClassName $ClassName -OperationTimeoutSec $WmiTimeoutSec)
}

# Normalises Get-ClusterQuorum across versions: 2012 R2 reports NodeMajority / NodeAndDiskMajority /
# NodeAndFileShareMajority / DiskOnly; 2016+ reports "Majority" plus a witness resource.
function Get-QuorumType {
    param([string] $RawType, $Resource)
    if ($RawType -ne 'Majority') { return $RawType }
    if ($null -eq $Resource) { return 'NodeMajority' }
    $resourceType = Get-NameOrNull (Get-OptionalProperty -Object $Resource -Name 'ResourceType')
    switch ($resourceType) {
        'Physical Disk' { return 'NodeAndDiskMajority' }
        'File Share Witness' { return 'NodeAndFileShareMajority' }
        'Cloud Witness' { return 'NodeAndCloudMajority' }
    }
    return 'Majority'
}

function Invoke-Native {
    param([string] $FilePath, [string[]] $Arguments)
    $ErrorActionPreference = 'Continue'
    $output = @(& $FilePath $Arguments 2>$null)
    if ($LASTEXITCODE -ne 0) { throw "$FilePath exited with code $LASTEXITCODE" }
    return ,$output
}

# ---------------------------------------------------------------------------------------------
# Node sections
# ---------------------------------------------------------------------------------------------

$node = @{
    name = $env:COMPUTERNAME
    reachable = $true
    collector_version = $CollectorVersion
    collected_at = ConvertTo-IsoDate -Value ([datetime]::UtcNow)
    errors = $script:NodeErrors
    timings = $script:Timings
}

Invoke-Section -Name 'os' -Target $node -Keys @('os') -Block {
    $os = Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_OperatingSystem' | Select-Object -First 1
    $current = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $build = [int](Get-OptionalProperty -Object $current -Name 'CurrentBuild')
    if ($build -eq 0) { $build = [int]$os.BuildNumber }
    $ubr = Get-OptionalProperty -Object $current -Name 'UBR'
    $fullVersion = $null
    if ($null -ne $ubr) { $fullVersion = '{0}.{1}' -f $os.Version, $ubr }
    @{
        os = @{
            caption = ConvertTo-StringOrNull $os.Caption
            version = ConvertTo-StringOrNull $os.Version
            build = $build
            ubr = ConvertTo-IntOrNull $ubr
            full_version = $fullVersion
            release = Get-ReleaseName -Build $build
            install_date = ConvertTo-IsoDate -Value $os.InstallDate
            last_boot = ConvertTo-IsoDate -Value $os.LastBootUpTime
        }
    }
}

Invoke-Section -Name 'hotfixes' -Target $node -Keys @('hotfixes') -Block {
    $list = @(Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_QuickFixEngineering' |
        Where-Object { $_.HotFixID } |
        ForEach-Object {
            @{
                id = [string]$_.HotFixID
                description = ConvertTo-StringOrNull $_.Description
                installed_on = ConvertTo-IsoDate -Value $_.InstalledOn
            }
        })
    @{ hotfixes = $list }
}

Invoke-Section -Name 'drivers' -Target $node -Keys @('drivers') -Block {
    $list = @(Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_PnPSignedDriver' |
        Where-Object { $_.DeviceName } |
        ForEach-Object {
            $signed = $null
            if ($null -ne $_.IsSigned) { $signed = [bool]$_.IsSigned }
            @{
                device_name = [string]$_.DeviceName
                device_class = ConvertTo-StringOrNull $_.DeviceClass
                device_id = ConvertTo-StringOrNull $_.DeviceID
                hardware_id = ConvertTo-StringOrNull $_.HardWareID
                version = ConvertTo-StringOrNull $_.DriverVersion
                date = ConvertTo-IsoDate -Value $_.DriverDate -DateOnly
                provider = ConvertTo-StringOrNull $_.DriverProviderName
                manufacturer = ConvertTo-StringOrNull $_.Manufacturer
                inf_name = ConvertTo-StringOrNull $_.InfName
                signed = $signed
                signer = ConvertTo-StringOrNull $_.Signer
            }
        })
    @{ drivers = $list }
}

Invoke-Section -Name 'bios' -Target $node -Keys @('bios') -Block {
    $bios = Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_BIOS' | Select-Object -First 1
    @{
        bios = @{
            manufacturer = ConvertTo-StringOrNull $bios.Manufacturer
            version = ConvertTo-StringOrNull $bios.SMBIOSBIOSVersion
            release_date = ConvertTo-IsoDate -Value $bios.ReleaseDate -DateOnly
        }
    }
}

Invoke-Section -Name 'system' -Target $node -Keys @('system', 'processor') -Block {
    $computer = Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_ComputerSystem' | Select-Object -First 1
    $cpu = Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_Processor' | Select-Object -First 1
    $slat = Get-OptionalProperty -Object $cpu -Name 'SecondLevelAddressTranslationExtensions'
    $hypervisor = Get-OptionalProperty -Object $computer -Name 'HypervisorPresent'
    if ($null -ne $slat) { $slat = [bool]$slat }
    if ($null -ne $hypervisor) { $hypervisor = [bool]$hypervisor }
    @{
        system = @{
            manufacturer = ConvertTo-StringOrNull $computer.Manufacturer
            model = ConvertTo-StringOrNull $computer.Model
            total_memory_bytes = ConvertTo-IntOrNull $computer.TotalPhysicalMemory
        }
        processor = @{ slat = $slat; hypervisor_present = $hypervisor }
    }
}

# No root\SecurityCenter2 on Server SKUs: Defender status comes from Get-MpComputerStatus; other AV
# products show up in the minifilter list (altitudes 320000-329999) and the uninstall keys.
Invoke-Section -Name 'defender' -Target $node -Keys @('defender') -Block {
    if ($null -eq (Get-Command -Name 'Get-MpComputerStatus' -ErrorAction SilentlyContinue)) {
        return @{ defender = @{ present = $false } }
    }
    $status = Get-MpComputerStatus
    $preference = Get-MpPreference
    @{
        defender = @{
            present = $true
            am_running_mode = ConvertTo-StringOrNull (Get-OptionalProperty -Object $status -Name 'AMRunningMode')
            product_version = ConvertTo-StringOrNull $status.AMProductVersion
            antivirus_enabled = [bool]$status.AntivirusEnabled
            realtime_enabled = [bool]$status.RealTimeProtectionEnabled
            signature_updated = ConvertTo-IsoDate -Value $status.AntivirusSignatureLastUpdated
            exclusion_paths = @($preference.ExclusionPath | Where-Object { $_ } | ForEach-Object { [string]$_ })
            exclusion_processes = @($preference.ExclusionProcess | Where-Object { $_ } | ForEach-Object { [string]$_ })
        }
    }
}

Invoke-Section -Name 'filters' -Target $node -Keys @('filters') -Block {
    $lines = Invoke-Native -FilePath 'fltmc.exe' -Arguments @('filters')
    $list = New-Object System.Collections.ArrayList
    foreach ($line in $lines) {
        if ([string]$line -match '^\s*(\S+)\s+(\d+)\s+(\d[\d.]*|<Legacy>)\s+\S+\s*$') {
            $altitude = $null
            if ($Matches[3] -ne '<Legacy>') { $altitude = $Matches[3] }
            [void]$list.Add(@{ name = $Matches[1]; instances = [int]$Matches[2]; altitude = $altitude })
        }
    }
    @{ filters = @($list) }
}

Invoke-Section -Name 'products' -Target $node -Keys @('products') -Block {
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
    $seen = @{}
    $list = New-Object System.Collections.ArrayList
    foreach ($key in $keys) {
        if (-not (Test-Path -Path (Split-Path -Path $key -Parent))) { continue }
        foreach ($entry in @(Get-ItemProperty -Path $key)) {
            $name = ConvertTo-StringOrNull (Get-OptionalProperty -Object $entry -Name 'DisplayName')
            if ($null -eq $name) { continue }
            $version = ConvertTo-StringOrNull (Get-OptionalProperty -Object $entry -Name 'DisplayVersion')
            $identity = '{0}|{1}' -f $name, $version
            if ($seen.ContainsKey($identity)) { continue }
            $seen[$identity] = $true
            [void]$list.Add(@{
                name = $name
                version = $version
                publisher = ConvertTo-StringOrNull (Get-OptionalProperty -Object $entry -Name 'Publisher')
            })
        }
    }
    @{ products = @($list) }
}

Invoke-Section -Name 'features' -Target $node -Keys @('features', 'dedup_installed') -Block {
    $installed = @(Get-WindowsFeature | Where-Object { $_.Installed } | ForEach-Object { [string]$_.Name })
    @{
        features = $installed
        dedup_installed = ($installed -contains 'FS-Data-Deduplication')
    }
}

Invoke-Section -Name 'services' -Target $node -Keys @('services') -Block {
    $map = @{}
    foreach ($service in (Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_Service')) {
        if ($script:ServiceNames -contains $service.Name) {
            $map[[string]$service.Name] = @{
                status = ConvertTo-StringOrNull $service.State
                start_mode = ConvertTo-StringOrNull $service.StartMode
            }
        }
    }
    @{ services = $map }
}

# WMI health: the failure itself is the fact (probe.ok = false), so probes catch their own errors;
# a failed probe is also listed in node.errors (section wmi), like any section that failed.
# The virtualization probe runs only where Hyper-V (vmms) is installed; elsewhere it is null.
function Invoke-WmiProbe {
    param([string] $Namespace, [string] $ClassName)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $probe = @{ ok = $true; error = $null; duration_ms = $null }
    try {
        [void](Get-CimQuery -Namespace $Namespace -ClassName $ClassName)
    } catch {
        $probe.ok = $false
        $probe.error = Get-OneLine $_.Exception.Message
        Add-CollectorError -Section 'wmi' -Message ('{0}: {1}' -f $Namespace, $probe.error) -DurationMs $watch.ElapsedMilliseconds -ErrorList $script:NodeErrors
    }
    $probe.duration_ms = [int]$watch.ElapsedMilliseconds
    return $probe
}

Invoke-Section -Name 'wmi' -Target $node -Keys @('wmi') -Block {
    $virtualization = $null
    if ($null -ne (Get-Service -Name 'vmms' -ErrorAction SilentlyContinue)) {
        $virtualization = Invoke-WmiProbe -Namespace 'root/virtualization/v2' -ClassName 'Msvm_ComputerSystem'
    }
    @{
        wmi = @{
            mscluster = Invoke-WmiProbe -Namespace 'root/MSCluster' -ClassName 'MSCluster_ResourceGroup'
            virtualization = $virtualization
        }
    }
}

Invoke-Section -Name 'cluster_node_state' -Target $node -Keys @('cluster_node_state') -Block {
    Import-Module FailoverClusters
    $self = Get-ClusterNode -Name $env:COMPUTERNAME
    @{ cluster_node_state = [string]$self.State }
}

# Traces a rolling upgrade leaves in the cluster hive (benign; reported, never "fixed").
Invoke-Section -Name 'cluster_registry' -Target $node -Keys @('cluster_registry') -Block {
    $hive = Get-ItemProperty -Path 'HKLM:\Cluster'
    $operatingVersion = Test-Path -Path 'HKLM:\Cluster\OperatingVersion'
    $mixedMode = $null
    if ($operatingVersion) {
        $mixedMode = ConvertTo-IntOrNull (Get-OptionalProperty -Object (Get-ItemProperty -Path 'HKLM:\Cluster\OperatingVersion') -Name 'MixedMode')
    }
    @{
        cluster_registry = @{
            os = ConvertTo-StringOrNull (Get-OptionalProperty -Object $hive -Name 'OS')
            os_version = ConvertTo-StringOrNull (Get-OptionalProperty -Object $hive -Name 'OSVersion')
            functional_level = ConvertTo-IntOrNull (Get-OptionalProperty -Object $hive -Name 'ClusterFunctionalLevel')
            operating_version_present = $operatingVersion
            mixed_mode = $mixedMode
        }
    }
}

# NtfsDisable8dot3NameCreation: 0 enabled on all volumes, 1 disabled on all, 2 per volume,
# 3 disabled except on the system volume. FilterSupportedFeaturesMode: absent or 0 = ODX on, 1 = off.
Invoke-Section -Name 'filesystem' -Target $node -Keys @('ntfs_disable_8dot3', 'odx_mode') -Block {
    $fs = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\FileSystem'
    $odx = Get-OptionalProperty -Object $fs -Name 'FilterSupportedFeaturesMode'
    if ($null -eq $odx) { $odx = 0 }
    @{
        ntfs_disable_8dot3 = ConvertTo-IntOrNull (Get-OptionalProperty -Object $fs -Name 'NtfsDisable8dot3NameCreation')
        odx_mode = [int]$odx
    }
}

# Cluster disk and CSV resource names by volume, for volumes[].cluster_resource. Kept in $script:Work.
Invoke-Section -Name 'volume_resources' -Target $script:Work -Keys @('resource_by_volume', 'csv_owner_by_path') -Block {
    $byVolume = @{}
    $csvOwner = @{}
    Import-Module FailoverClusters
    foreach ($csv in @(Get-ClusterSharedVolume)) {
        foreach ($info in @($csv.SharedVolumeInfo)) {
            $path = ConvertTo-VolumePath ([string]$info.FriendlyVolumeName)
            if ($path) {
                $byVolume[$path.ToLowerInvariant()] = [string]$csv.Name
                $csvOwner[$path.ToLowerInvariant()] = Get-NameOrNull $csv.OwnerNode
            }
        }
    }
    $disks = Get-CimQuery -Namespace 'root/MSCluster' -ClassName 'MSCluster_Resource' -Filter "Type = 'Physical Disk'"
    foreach ($resource in $disks) {
        $clusterDisks = @(Get-CimAssociatedInstance -InputObject $resource -ResultClassName 'MSCluster_Disk' -OperationTimeoutSec $WmiTimeoutSec)
        foreach ($disk in $clusterDisks) {
            $partitions = @(Get-CimAssociatedInstance -InputObject $disk -ResultClassName 'MSCluster_DiskPartition' -OperationTimeoutSec $WmiTimeoutSec)
            foreach ($partition in $partitions) {
                $guid = ConvertTo-StringOrNull (Get-OptionalProperty -Object $partition -Name 'VolumeGuid')
                if ($guid) { $byVolume[$guid.Trim('{}').ToLowerInvariant()] = [string]$resource.Name }
                $path = ConvertTo-VolumePath ([string]$partition.Path)
                if ($path) { $byVolume[$path.ToLowerInvariant()] = [string]$resource.Name }
            }
        }
    }
    @{ resource_by_volume = $byVolume; csv_owner_by_path = $csvOwner }
}

# Win32_Volume lists this node's volumes only (Get-Volume / MSFT_Volume on a cluster node can also
# return other nodes' volumes); MSFT_Volume adds health and FileSystemType for those volumes only.
function Get-ShortNameState {
    param([string] $Path, [string] $FileSystem, $Registry, [string] $SystemDrive)
    if ($FileSystem -notmatch 'NTFS') { return $false }
    switch ([int]$Registry) {
        0 { return $true }
        1 { return $false }
        3 { return ($Path -eq $SystemDrive) }
    }
    $lines = Invoke-Native -FilePath 'fsutil.exe' -Arguments @('8dot3name', 'query', $Path)
    foreach ($line in $lines) {
        if ([string]$line -match ':\s*([01])\s*\(') { return ($Matches[1] -eq '0') }
    }
    throw "fsutil 8dot3name query $Path gave no volume state"
}

function Get-DedupMap {
    if ($null -eq (Get-Command -Name 'Get-DedupVolume' -ErrorAction SilentlyContinue)) { return $null }
    $map = @{}
    $statusByVolume = @{}
    foreach ($status in @(Get-DedupStatus)) {
        $path = ConvertTo-VolumePath ([string]$status.Volume)
        if ($path) { $statusByVolume[$path.ToLowerInvariant()] = $status }
    }
    foreach ($volume in @(Get-DedupVolume)) {
        $path = ConvertTo-VolumePath ([string]$volume.Volume)
        if (-not $path) { continue }
        $key = $path.ToLowerInvariant()
        $status = $statusByVolume[$key]
        $map[$key] = @{
            enabled = [bool]$volume.Enabled
            usage_type = ConvertTo-StringOrNull $volume.UsageType
            last_optimization_result = ConvertTo-IntOrNull (Get-OptionalProperty -Object $status -Name 'LastOptimizationResult')
            last_gc_result = ConvertTo-IntOrNull (Get-OptionalProperty -Object $status -Name 'LastGarbageCollectionResult')
            last_scrubbing_result = ConvertTo-IntOrNull (Get-OptionalProperty -Object $status -Name 'LastScrubbingResult')
            saved_space = ConvertTo-IntOrNull $volume.SavedSpace
        }
    }
    return $map
}

Invoke-Section -Name 'volumes' -Target $node -Keys @('volumes') -Block {
    $storage = @{}
    foreach ($msft in (Get-CimQuery -Namespace 'root/Microsoft/Windows/Storage' -ClassName 'MSFT_Volume')) {
        if ($msft.Path) { $storage[([string]$msft.Path).ToLowerInvariant()] = $msft }
    }
    $dedup = $null
    try {
        $dedup = Get-DedupMap
    } catch {
        Add-CollectorError -Section 'volumes.dedup' -Message $_.Exception.Message -DurationMs $null -ErrorList $script:NodeErrors
    }
    $resources = $script:Work['resource_by_volume']
    $csvOwners = $script:Work['csv_owner_by_path']
    $registry = $node['ntfs_disable_8dot3']
    $list = New-Object System.Collections.ArrayList
    foreach ($volume in (Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_Volume')) {
        $path = ConvertTo-VolumePath ([string]$volume.Name)
        if (-not $path) { continue }
        $key = $path.ToLowerInvariant()
        $deviceId = [string]$volume.DeviceID
        $msft = $storage[$deviceId.ToLowerInvariant()]
        $guid = $null
        if ($deviceId -match '\{([0-9a-fA-F-]+)\}') { $guid = $Matches[1].ToLowerInvariant() }
        $isCsv = ([string]$volume.FileSystem) -like 'CSVFS*'

        $resource = $null
        if ($null -ne $resources) {
            $resource = $resources[$key]
            if ($null -eq $resource -and $guid) { $resource = $resources[$guid] }
        }

        # volumes without a mount path (e.g. System Reserved) hold no shares: left unknown, not queried
        $shortNames = $null
        if ($null -ne $registry -and $path -notlike '\\?\*') {
            try {
                $shortNames = Get-ShortNameState -Path $path -FileSystem ([string]$volume.FileSystem) -Registry $registry -SystemDrive $env:SystemDrive
            } catch {
                Add-CollectorError -Section 'volumes.short_names' -Message ('{0}: {1}' -f $path, $_.Exception.Message) -DurationMs $null -ErrorList $script:NodeErrors
            }
        }

        # Dedup: authoritative on the node that owns the volume; a CSV owned elsewhere stays unknown
        # unless this node lists it.
        $dedupFacts = $null
        if ($null -ne $dedup) {
            $dedupFacts = $dedup[$key]
            $ownedHere = $true
            if ($isCsv -and $null -ne $csvOwners) { $ownedHere = ($csvOwners[$key] -eq $env:COMPUTERNAME) }
            if ($null -eq $dedupFacts -and $ownedHere) {
                $dedupFacts = @{ enabled = $false }
            }
        }

        [void]$list.Add(@{
            path = $path
            volume_id = ConvertTo-StringOrNull $deviceId
            label = ConvertTo-StringOrNull $volume.Label
            file_system = ConvertTo-StringOrNull $volume.FileSystem
            file_system_type = ConvertTo-StringOrNull (Get-OptionalProperty -Object $msft -Name 'FileSystemType')
            size = ConvertTo-IntOrNull $volume.Capacity
            free = ConvertTo-IntOrNull $volume.FreeSpace
            health = ConvertTo-StringOrNull (Get-OptionalProperty -Object $msft -Name 'HealthStatus')
            csv = $isCsv
            cluster_resource = $resource
            short_names = $shortNames
            dedup = $dedupFacts
        })
    }
    @{ volumes = @($list) }
}

Invoke-Section -Name 'shares' -Target $node -Keys @('shares') -Block {
    $volumePaths = @{}
    foreach ($volume in (Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_Volume')) {
        if ($volume.DeviceID -and $volume.Name) {
            $volumePaths[([string]$volume.DeviceID).ToLowerInvariant()] = ConvertTo-VolumePath ([string]$volume.Name)
        }
    }
    $list = @(Get-SmbShare | Where-Object { -not $_.Special } | ForEach-Object {
        $volume = $null
        if ($_.Volume) { $volume = $volumePaths[([string]$_.Volume).ToLowerInvariant()] }
        if ($null -eq $volume -and $_.Path -match '^([A-Za-z]:)') { $volume = $Matches[1] }
        @{
            name = [string]$_.Name
            path = ConvertTo-StringOrNull $_.Path
            volume = $volume
            scope_name = ConvertTo-StringOrNull $_.ScopeName
            continuously_available = [bool]$_.ContinuouslyAvailable
            encrypt_data = [bool]$_.EncryptData
        }
    })
    @{ shares = $list }
}

# ---------------------------------------------------------------------------------------------
# Cluster as seen from this node (null when this node cannot read the cluster at all)
# ---------------------------------------------------------------------------------------------

$cluster = @{ errors = $script:ClusterErrors }
$work = $script:Work

Invoke-Section -Name 'cluster' -Target $work -Keys @('cluster_head') -Block {
    Import-Module FailoverClusters
    $info = Get-Cluster
    $level = ConvertTo-IntOrNull (Get-OptionalProperty -Object $info -Name 'ClusterFunctionalLevel')
    $s2d = Get-OptionalProperty -Object $info -Name 'S2DEnabled'
    $osVersion = [string](Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_OperatingSystem' | Select-Object -First 1).Version
    # 2012 R2 has no ClusterFunctionalLevel/S2DEnabled properties: a cluster readable from a 6.3
    # node is at level 8 and cannot have Storage Spaces Direct.
    if ($null -eq $level -and $osVersion -like '6.3.*') { $level = 8 }
    if ($null -eq $s2d -and $osVersion -like '6.3.*') { $s2d = 0 }
    $s2dEnabled = $null
    if ($null -ne $s2d) { $s2dEnabled = ([int]$s2d -eq 1) }
    @{
        cluster_head = @{
            name = [string]$info.Name
            collected_from = $env:COMPUTERNAME
            functional_level = $level
            upgrade_version = ConvertTo-IntOrNull (Get-OptionalProperty -Object $info -Name 'ClusterUpgradeVersion')
            s2d_enabled = $s2dEnabled
        }
    }
}

if ($null -ne $work['cluster_head']) {
    foreach ($key in $work['cluster_head'].Keys) { $cluster[$key] = $work['cluster_head'][$key] }

    Invoke-Section -Name 'cluster.nodes' -Target $cluster -Keys @('nodes') -ErrorList $script:ClusterErrors -Block {
        $list = @(Get-ClusterNode | ForEach-Object {
            $drain = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'DrainStatus')
            @{
                name = [string]$_.Name
                state = [string]$_.State
                drain_status = $drain
                major_version = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'MajorVersion')
                minor_version = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'MinorVersion')
                build_number = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'BuildNumber')
                node_weight = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'NodeWeight')
                dynamic_weight = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'DynamicWeight')
            }
        })
        @{ nodes = $list }
    }

    Invoke-Section -Name 'cluster.quorum' -Target $cluster -Keys @('quorum') -ErrorList $script:ClusterErrors -Block {
        $quorum = Get-ClusterQuorum
        $rawType = [string]$quorum.QuorumType
        $resource = $quorum.QuorumResource
        $resourceState = $null
        if ($null -ne $resource) { $resourceState = [string]$resource.State }
        @{
            quorum = @{
                type = Get-QuorumType -RawType $rawType -Resource $resource
                raw_type = $rawType
                resource = Get-NameOrNull $resource
                resource_state = $resourceState
            }
        }
    }

    Invoke-Section -Name 'cluster.groups' -Target $cluster -Keys @('groups') -ErrorList $script:ClusterErrors -Block {
        $list = @(Get-ClusterGroup | ForEach-Object {
            $isCore = Get-OptionalProperty -Object $_ -Name 'IsCoreGroup'
            if ($null -ne $isCore) { $isCore = [bool]$isCore }
            @{
                name = [string]$_.Name
                owner_node = Get-NameOrNull $_.OwnerNode
                state = [string]$_.State
                is_core = $isCore
                group_type = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'GroupType')
            }
        })
        @{ groups = $list }
    }

    Invoke-Section -Name 'cluster.resources' -Target $cluster -Keys @('resources') -ErrorList $script:ClusterErrors -Block {
        $csvNames = @(Get-ClusterSharedVolume | ForEach-Object { [string]$_.Name })
        $list = New-Object System.Collections.ArrayList
        foreach ($resource in @(Get-ClusterResource)) {
            $owners = $null
            try {
                $owners = @((Get-ClusterOwnerNode -Resource $resource.Name).OwnerNodes | ForEach-Object { Get-NameOrNull $_ })
            } catch {
                Add-CollectorError -Section 'cluster.resources.possible_owners' -Message ('{0}: {1}' -f $resource.Name, $_.Exception.Message) -DurationMs $null -ErrorList $script:ClusterErrors
            }
            [void]$list.Add(@{
                name = [string]$resource.Name
                state = [string]$resource.State
                owner_group = Get-NameOrNull $resource.OwnerGroup
                owner_node = Get-NameOrNull $resource.OwnerNode
                resource_type = Get-NameOrNull $resource.ResourceType
                is_csv = ($csvNames -contains [string]$resource.Name)
                possible_owners = $owners
            })
        }
        @{ resources = @($list) }
    }

    Invoke-Section -Name 'cluster.csvs' -Target $cluster -Keys @('csvs') -ErrorList $script:ClusterErrors -Block {
        $states = @{}
        foreach ($state in @(Get-ClusterSharedVolumeState | Where-Object { (Get-NameOrNull $_.Node) -eq $env:COMPUTERNAME })) {
            $states[[string]$state.Name] = $state
        }
        $list = New-Object System.Collections.ArrayList
        foreach ($csv in @(Get-ClusterSharedVolume)) {
            $info = @($csv.SharedVolumeInfo) | Select-Object -First 1
            $partition = Get-OptionalProperty -Object $info -Name 'Partition'
            $state = $states[[string]$csv.Name]
            $percentFree = Get-OptionalProperty -Object $partition -Name 'PercentFree'
            if ($null -ne $percentFree) { $percentFree = [double]$percentFree }
            [void]$list.Add(@{
                name = [string]$csv.Name
                owner_node = Get-NameOrNull $csv.OwnerNode
                state = ConvertTo-StringOrNull $csv.State
                path = ConvertTo-VolumePath ([string](Get-OptionalProperty -Object $info -Name 'FriendlyVolumeName'))
                file_system = ConvertTo-StringOrNull (Get-OptionalProperty -Object $partition -Name 'FileSystem')
                percent_free = $percentFree
                state_info = ConvertTo-StringOrNull (Get-OptionalProperty -Object $state -Name 'StateInfo')
                redirected_reason = ConvertTo-StringOrNull (Get-OptionalProperty -Object $state -Name 'FileSystemRedirectedIOReason')
            })
        }
        @{ csvs = @($list) }
    }
} else {
    $cluster = $null
}

# Exactly one output object: the JSON text.
$output = @{ collector_version = $CollectorVersion; node = $node; cluster = $cluster }
ConvertTo-Json -InputObject $output -Depth 8 -Compress
