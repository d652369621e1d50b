# rollready-collector-version: 1
#
# rollready collector: read-only fact collection on one Windows Server failover-cluster node.
#
# * PowerShell 4.0 compatible (Windows Server 2012 R2): no classes, no ::new(), no ternary or
#   null-coalescing operators, no PowerShell 5+/7 cmdlets or parameters.
# * Read-only: it queries cmdlets, CIM/WMI classes and the registry; it changes nothing on the node
#   (Remove-TypeData below and the worker runspaces only affect this PowerShell process).
# * Every section runs through Invoke-Section: its block runs in a worker runspace and the collector
#   waits at most the section's budget. A section that fails or times out has its keys set to $null
#   ("could not be collected") and one error line in node.errors (cluster sections: cluster.errors);
#   a timed-out worker is abandoned (a thread stuck in a hung provider cannot be interrupted) and the
#   next section gets a fresh runspace. Every section's duration goes to node.timings.
# * The WMI probes run first, so a dead WMI is reported before anything can hang on it; sections
#   that need a probe that did not answer are skipped with that reason.
# * Output: exactly ONE string, the JSON document
#   {"collector_version": "1", "node": {...}, "cluster": {...} | null}
#   matching schemas/facts.schema.json#/$defs/collector_output; with -CompressOutput (the scanner's
#   way) the same document gzip-compressed and base64-encoded behind 'rollready-gzip-base64:'
#   (plain JSON if compressing fails).
#
# Run by hand (offline mode, as an administrator), writing UTF-8 whatever the console code page:
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "& .\collector.ps1 | Set-Content -Encoding UTF8 -Path $env:COMPUTERNAME.json"
param(
    [int] $WmiTimeoutSec = 30,
    [int] $SectionBudgetSec = 90,
    [int] $TotalBudgetSec = 480,
    [int] $EventWindowDays = 30,
    [switch] $CompressOutput
)

$ErrorActionPreference = 'Stop'
$CollectorVersion = '1'

# Windows PowerShell serialises PSObject-wrapped arrays as {"value": [...], "Count": n} because of
# the System.Array ETS type data; removing it for this session keeps arrays as JSON arrays.
try { Remove-TypeData -TypeName System.Array -ErrorAction Stop } catch { }

$script:NodeErrors = New-Object System.Collections.ArrayList
$script:ClusterErrors = New-Object System.Collections.ArrayList
$script:Timings = @{}
# Facts later sections read (handed to every worker runspace as $Work) and the probes' verdicts.
$script:Work = @{}
$script:Probes = @{}
$script:Worker = $null
$script:Clock = [System.Diagnostics.Stopwatch]::StartNew()

# ---------------------------------------------------------------------------------------------
# Helpers. This block is dot-sourced here and prepended to every section run in a worker runspace.
# ---------------------------------------------------------------------------------------------
$Helpers = {
$script:ServiceNames = @('ClusSvc', 'vmms', 'ddpsvc', 'ddpvssvc', 'WinDefend', 'WinRM', 'Winmgmt', 'LanmanServer', 'MSiSCSI')
# Documented enum values for numbers CIM hands back raw (MSFT_Volume, Storage, cluster network).
$script:FileSystemTypeNames = @{ 0 = 'Unknown'; 2 = 'UFS'; 3 = 'HFS'; 4 = 'FAT'; 5 = 'FAT16'; 6 = 'FAT32'; 7 = 'NTFS4'; 8 = 'NTFS5'; 9 = 'XFS'; 10 = 'AFS'; 11 = 'EXT2'; 12 = 'EXT3'; 13 = 'ReiserFS'; 14 = 'NTFS'; 15 = 'ReFS'; 32768 = 'CSVFS_NTFS'; 32769 = 'CSVFS_ReFS' }
$script:HealthNames = @{ 0 = 'Healthy'; 1 = 'Warning'; 2 = 'Unhealthy'; 5 = 'Unknown' }
$script:OperationalStatusNames = @{ 0 = 'Unknown'; 1 = 'Other'; 2 = 'OK'; 3 = 'Degraded'; 4 = 'Stressed'; 5 = 'Predictive Failure'; 6 = 'Error'; 7 = 'Non-Recoverable Error'; 8 = 'Starting'; 9 = 'Stopping'; 10 = 'Stopped'; 11 = 'In Service'; 12 = 'No Contact'; 13 = 'Lost Communication'; 14 = 'Aborted'; 15 = 'Dormant'; 16 = 'Supporting Entity in Error'; 17 = 'Completed'; 18 = 'Power Mode' }
$script:JobStateNames = @{ 2 = 'New'; 3 = 'Starting'; 4 = 'Running'; 5 = 'Suspended'; 6 = 'ShuttingDown'; 7 = 'Completed'; 8 = 'Terminated'; 9 = 'Killed'; 10 = 'Exception'; 11 = 'Service'; 12 = 'QueryPending' }
# MSFT_StoragePool.Version numbers are not listed in what could be read: kept as numbers unless
# the Storage cmdlets already give the name (docs/reality.md).
$script:StoragePoolVersionNames = @{}
$script:NetworkRoleNames = @{ 0 = 'None'; 1 = 'Cluster'; 2 = 'Client'; 3 = 'ClusterAndClient' }
$script:NodeStatusFlags = @(@(1, 'Isolated'), @(2, 'Quarantined'), @(4, 'DrainInProgress'), @(8, 'DrainCompleted'), @(16, 'DrainFailed'), @(32, 'AvoidPlacement'))
$script:EventLevelNames = @{ 1 = 'Critical'; 2 = 'Error'; 3 = 'Warning'; 4 = 'Information'; 5 = 'Verbose' }

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
    $date = ConvertFrom-WindowsDate -Text $text
    if ($null -ne $date) { return ConvertTo-IsoDate -Value $date -DateOnly }
    return $text
}

# Win32_QuickFixEngineering.InstalledOn and similar free-form dates: every form Windows writes.
# M/d/yyyy is WMI's usual form whatever the culture; d/M/yyyy and dd.MM.yyyy come from localised
# systems; yyyyMMdd and 16-digit hex FILETIMEs from older update agents. An a/b/yyyy date with both
# parts <= 12 is month-first unless this node's short date pattern is day-first, and a reading in
# the future gives way to the other one. Returns a [datetime] or $null (scanner/windates.py mirrors it).
function ConvertFrom-WindowsDate {
    param([string] $Text)
    if ([string]::IsNullOrEmpty($Text)) { return $null }
    $text = $Text.Trim()
    $culture = [System.Globalization.CultureInfo]::InvariantCulture
    if ($text -match '^[0-9a-fA-F]{16}$') {
        return [datetime]::FromFileTimeUtc([Convert]::ToInt64($text, 16)).Date
    }
    $parts = $null
    if ($text -match '^(\d{4})(\d{2})(\d{2})$') {
        $parts = @([int]$Matches[1], [int]$Matches[2], [int]$Matches[3])
    } elseif ($text -match '^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$') {
        $parts = @([int]$Matches[1], [int]$Matches[2], [int]$Matches[3])
    } elseif ($text -match '^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[ T].*)?$') {
        $first = [int]$Matches[1]
        $second = [int]$Matches[3]
        $year = [int]$Matches[4]
        $dayFirst = ($Matches[2] -eq '.') -or ($first -gt 12)
        if (-not $dayFirst -and $second -le 12) {
            $pattern = [System.Globalization.CultureInfo]::CurrentCulture.DateTimeFormat.ShortDatePattern
            $dayFirst = ($pattern -match '^\s*d')
            $monthFirstDate = New-SafeDate -Year $year -Month $first -Day $second
            $dayFirstDate = New-SafeDate -Year $year -Month $second -Day $first
            $tomorrow = [datetime]::UtcNow.Date.AddDays(1)
            if ($dayFirst -and $null -ne $dayFirstDate -and $dayFirstDate -gt $tomorrow -and $null -ne $monthFirstDate -and $monthFirstDate -le $tomorrow) { $dayFirst = $false }
            if (-not $dayFirst -and $null -ne $monthFirstDate -and $monthFirstDate -gt $tomorrow -and $null -ne $dayFirstDate -and $dayFirstDate -le $tomorrow) { $dayFirst = $true }
        }
        if ($dayFirst) { $parts = @($year, $second, $first) } else { $parts = @($year, $first, $second) }
    }
    if ($null -ne $parts) { return New-SafeDate -Year $parts[0] -Month $parts[1] -Day $parts[2] }
    $date = New-Object datetime
    if ([datetime]::TryParse($text, $culture, [System.Globalization.DateTimeStyles]::None, [ref]$date)) { return $date.Date }
    return $null
}

function New-SafeDate {
    param([int] $Year, [int] $Month, [int] $Day)
    if ($Year -lt 1980 -or $Year -gt 9999 -or $Month -lt 1 -or $Month -gt 12 -or $Day -lt 1) { return $null }
    if ($Day -gt [datetime]::DaysInMonth($Year, $Month)) { return $null }
    return New-Object datetime -ArgumentList $Year, $Month, $Day
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

# The first of several property names that exists (names that differ between Windows versions).
function Get-FirstProperty {
    param($Object, [string[]] $Names)
    foreach ($name in $Names) {
        $value = Get-OptionalProperty -Object $Object -Name $name
        if ($null -ne $value) { return $value }
    }
    return $null
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

# An enum value as name + number, whatever Windows handed back: a raw CIM number (mapped through
# $Map, an unknown number stays its decimal text), a numeric string, or a .NET enum / name string.
function ConvertTo-EnumPair {
    param($Value, [hashtable] $Map)
    if ($null -eq $Value) { return @{ name = $null; code = $null } }
    $code = $null
    $text = [string]$Value
    if ($Value -is [System.Enum]) {
        $code = [int64]$Value
    } elseif ($text -match '^\d+$') {
        $code = [int64]$text
    }
    $name = $text
    if ($text -match '^\d+$') {
        $name = $text
        if ($Map.ContainsKey([int]$code)) { $name = $Map[[int]$code] }
    }
    return @{ name = $name; code = $code }
}

function ConvertTo-EnumList {
    param($Values, [hashtable] $Map)
    $names = New-Object System.Collections.ArrayList
    $codes = New-Object System.Collections.ArrayList
    foreach ($value in @($Values)) {
        if ($null -eq $value) { continue }
        $pair = ConvertTo-EnumPair -Value $value -Map $Map
        [void]$names.Add([string]$pair.name)
        if ($null -ne $pair.code) { [void]$codes.Add([int64]$pair.code) }
    }
    return @{ names = @($names); codes = @($codes) }
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

# WMI health: the failure itself is the fact (probe.ok = false), so a probe catches its own error;
# the failure is also listed in node.errors under the probe's section name.
function Invoke-WmiProbe {
    param([string] $Section, [string] $Namespace, [string] $ClassName)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $probe = @{ ok = $true; error = $null; duration_ms = $null }
    try {
        [void](Get-CimQuery -Namespace $Namespace -ClassName $ClassName)
    } catch {
        $probe.ok = $false
        $probe.error = Get-OneLine $_.Exception.Message
        Add-CollectorError -Section $Section -Message ('{0}: {1}' -f $Namespace, $probe.error) -DurationMs $watch.ElapsedMilliseconds -ErrorList $SectionErrors
    }
    $probe.duration_ms = [int]$watch.ElapsedMilliseconds
    return $probe
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

# Get-ClusterNode StatusInformation (2016+): CLUSTER_NODE_STATUS flags as names.
function ConvertTo-NodeStatus {
    param($Value)
    if ($null -eq $Value) { return @{ names = $null; code = $null } }
    $code = $null
    $text = [string]$Value
    if ($Value -is [System.Enum] -or $text -match '^\d+$') { $code = [int64]$Value }
    $names = New-Object System.Collections.ArrayList
    if ($null -ne $code) {
        foreach ($flag in $script:NodeStatusFlags) {
            if (($code -band $flag[0]) -ne 0) { [void]$names.Add($flag[1]) }
        }
        if ($code -eq 0) { [void]$names.Add('Normal') }
    } else {
        foreach ($part in ($text -split ',')) {
            $name = $part.Trim()
            if ($name) { [void]$names.Add($name) }
        }
    }
    return @{ names = @($names); code = $code }
}

function Import-ClusterModule {
    if ($null -ne (Get-Module -Name 'FailoverClusters')) { return }
    if ($null -eq (Get-Module -ListAvailable -Name 'FailoverClusters')) {
        throw 'the FailoverClusters PowerShell module is not installed: add the RSAT-Clustering-PowerShell feature (Failover Cluster Module for Windows PowerShell)'
    }
    Import-Module -Name 'FailoverClusters'
}

function Invoke-Native {
    param([string] $FilePath, [string[]] $Arguments)
    $ErrorActionPreference = 'Continue'
    $output = @(& $FilePath $Arguments 2>$null)
    if ($LASTEXITCODE -ne 0) { throw "$FilePath exited with code $LASTEXITCODE" }
    return ,$output
}

# 8.3 name creation on one volume, by its real file system: ReFS has none, FAT always has them,
# NTFS (also under a CSV) follows NtfsDisable8dot3NameCreation, and per-volume state 2 or an
# unknown file system asks fsutil. fsutil's text is localised: the volume state is the first
# "<digit> (" on its output ("The volume state is: 1 (8dot3 name creation is disabled).").
function Get-ShortNameState {
    param([string] $Path, [string] $FileSystem, $Registry, [string] $SystemDrive)
    if ($FileSystem -match '^FAT') { return $true }
    if ($FileSystem -and $FileSystem -ne 'NTFS') { return $false }
    if ($FileSystem -eq 'NTFS') {
        switch ([int]$Registry) {
            0 { return $true }
            1 { return $false }
            3 { return ($Path -eq $SystemDrive) }
        }
    }
    $lines = Invoke-Native -FilePath 'fsutil.exe' -Arguments @('8dot3name', 'query', $Path)
    foreach ($line in $lines) {
        if ([string]$line -match '(?:^|[\s:])([0-3])\s*\(') { return ($Matches[1] -eq '0' -or ($Matches[1] -eq '3' -and $Path -eq $SystemDrive)) }
    }
    throw "fsutil 8dot3name query $Path gave no volume state"
}

# 'NTFS' / 'ReFS' under a volume: MSFT_Volume.FileSystemType first, then the cluster disk
# partition's file system (MSCluster_DiskPartition), else the reported file system unless CSVFS.
function Get-UnderlyingFileSystem {
    param([string] $FileSystem, $TypeCode, [string] $PartitionFileSystem)
    if ($null -ne $TypeCode) {
        switch ([int]$TypeCode) {
            14 { return 'NTFS' }
            15 { return 'ReFS' }
            32768 { return 'NTFS' }
            32769 { return 'ReFS' }
        }
    }
    if ($FileSystem -and $FileSystem -notlike 'CSVFS*') { return $FileSystem }
    if ($PartitionFileSystem -and $PartitionFileSystem -notlike 'CSVFS*') { return $PartitionFileSystem }
    return $null
}

# HealthStatus and OperationalStatus of a Storage object (pool, virtual or physical disk) added to
# $Row: names (mapped when Windows gives numbers) and the raw numbers.
function Get-StorageStatus {
    param($Object, [hashtable] $Row)
    $health = ConvertTo-EnumPair -Value (Get-OptionalProperty -Object $Object -Name 'HealthStatus') -Map $script:HealthNames
    $operational = ConvertTo-EnumList -Values (Get-OptionalProperty -Object $Object -Name 'OperationalStatus') -Map $script:OperationalStatusNames
    $status = @{
        health = $health.name
        health_code = $health.code
        operational_status = $operational.names
        operational_status_codes = $operational.codes
    }
    foreach ($key in $status.Keys) { $Row[$key] = $status[$key] }
    return $Row
}

# Get-ClusterSharedVolumeState rows ranked: a CSV redirected on any node is redirected.
function Get-CsvStateRank {
    param([string] $State)
    switch -Wildcard ($State) {
        'FileSystemRedirected*' { return 3 }
        'BlockRedirected*' { return 2 }
        'Direct*' { return 1 }
    }
    if ($State) { return 4 }
    return 0
}
}
. $Helpers

# ---------------------------------------------------------------------------------------------
# The bounded section runner
# ---------------------------------------------------------------------------------------------

# Runs $Block in the worker runspace and waits at most $BudgetSec. The block sees the helpers,
# $Work, $WmiTimeoutSec, $EventWindowDays and $SectionErrors (its sub-step errors), returns a
# hashtable. On expiry the pipeline is asked to stop without waiting and the worker is abandoned.
function Invoke-Bounded {
    param([scriptblock] $Block, [int] $BudgetSec, [System.Collections.ArrayList] $ErrorList)
    if ($null -eq $script:Worker) {
        $script:Worker = [runspacefactory]::CreateRunspace()
        $script:Worker.Open()
    }
    $box = @{ value = $null; error = $null; errors = (New-Object System.Collections.ArrayList) }
    $proxy = $script:Worker.SessionStateProxy
    $proxy.SetVariable('Box', $box)
    $proxy.SetVariable('Work', $script:Work)
    $proxy.SetVariable('WmiTimeoutSec', $WmiTimeoutSec)
    $proxy.SetVariable('EventWindowDays', $EventWindowDays)
    $proxy.SetVariable('SectionErrors', $box.errors)
    $text = "`$ErrorActionPreference = 'Stop'`n" + $Helpers.ToString() + "`ntry { `$Box.value = & {" + $Block.ToString() + "`n} } catch { `$Box.error = Get-OneLine `$_.Exception.Message }`n"
    $shell = [powershell]::Create()
    $shell.Runspace = $script:Worker
    [void]$shell.AddScript($text)
    $async = $shell.BeginInvoke()
    if (-not $async.AsyncWaitHandle.WaitOne($BudgetSec * 1000)) {
        [void]$shell.BeginStop($null, $null)
        $script:Worker = $null
        throw ('timed out after {0} s' -f $BudgetSec)
    }
    [void]$shell.EndInvoke($async)
    $shell.Dispose()
    foreach ($entry in $box.errors) { [void]$ErrorList.Add($entry) }
    if ($null -ne $box.error) { throw $box.error }
    return $box.value
}

# One section: $Block returns a hashtable holding exactly $Keys; they are copied into $Target.
# $Requires names probes ($script:Probes) that must have answered; otherwise the section is
# skipped with their reason. On any error or timeout every key becomes $null and the error is
# recorded with its duration.
function Invoke-Section {
    param(
        [string] $Name,
        [hashtable] $Target,
        [string[]] $Keys,
        [string[]] $Requires = @(),
        [int] $BudgetSec = 0,
        [scriptblock] $Block,
        [System.Collections.ArrayList] $ErrorList
    )
    if ($null -eq $ErrorList) { $ErrorList = $script:NodeErrors }
    foreach ($key in $Keys) { $Target[$key] = $null }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        foreach ($need in $Requires) {
            if ($script:Probes[$need] -ne $true) { throw ('skipped: {0}' -f $script:Probes[$need]) }
        }
        if ($BudgetSec -le 0) { $BudgetSec = $SectionBudgetSec }
        $left = $TotalBudgetSec - [int]$script:Clock.Elapsed.TotalSeconds
        if ($left -le 0) { throw ('skipped: the collector''s total budget of {0} s is spent' -f $TotalBudgetSec) }
        if ($left -lt $BudgetSec) { $BudgetSec = $left }
        $values = Invoke-Bounded -Block $Block -BudgetSec $BudgetSec -ErrorList $ErrorList
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

# A probe whose section failed or timed out: the failure is the fact.
function Complete-Probe {
    param([hashtable] $Probes, [string] $Key, [string] $Section, [string] $Namespace)
    if ($null -eq $Probes[$Key]) {
        $last = $script:NodeErrors | Where-Object { $_.section -eq $Section } | Select-Object -Last 1
        $message = 'no answer'
        if ($null -ne $last) { $message = $last.message }
        $Probes[$Key] = @{ ok = $false; error = $message; duration_ms = $script:Timings[$Section] }
    }
    if ($Probes[$Key].ok) {
        $script:Probes[$Key] = $true
    } else {
        $script:Probes[$Key] = ('{0} did not answer ({1})' -f $Namespace, $Probes[$Key].error)
    }
}

# ---------------------------------------------------------------------------------------------
# Node head and the WMI probes (first: a dead WMI is reported before anything can hang on it)
# ---------------------------------------------------------------------------------------------

$node = @{
    name = $env:COMPUTERNAME
    reachable = $true
    collector_version = $CollectorVersion
    collected_at = ConvertTo-IsoDate -Value ([datetime]::UtcNow)
    errors = $script:NodeErrors
    timings = $script:Timings
}

$wmi = @{}
Invoke-Section -Name 'wmi.cimv2' -Target $wmi -Keys @('cimv2') -BudgetSec ($WmiTimeoutSec + 15) -Block {
    @{ cimv2 = Invoke-WmiProbe -Section 'wmi.cimv2' -Namespace 'root/cimv2' -ClassName 'Win32_OperatingSystem' }
}
Complete-Probe -Probes $wmi -Key 'cimv2' -Section 'wmi.cimv2' -Namespace 'root/cimv2'

Invoke-Section -Name 'wmi.mscluster' -Target $wmi -Keys @('mscluster') -BudgetSec ($WmiTimeoutSec + 15) -Block {
    @{ mscluster = Invoke-WmiProbe -Section 'wmi.mscluster' -Namespace 'root/MSCluster' -ClassName 'MSCluster_ResourceGroup' }
}
Complete-Probe -Probes $wmi -Key 'mscluster' -Section 'wmi.mscluster' -Namespace 'root/MSCluster'

# The virtualization probe runs only where Hyper-V (vmms) is installed; elsewhere it is null.
Invoke-Section -Name 'wmi.virtualization' -Target $wmi -Keys @('virtualization', 'vmms_present') -BudgetSec ($WmiTimeoutSec + 15) -Block {
    if ($null -eq (Get-Service -Name 'vmms' -ErrorAction SilentlyContinue)) {
        return @{ virtualization = $null; vmms_present = $false }
    }
    @{
        virtualization = Invoke-WmiProbe -Section 'wmi.virtualization' -Namespace 'root/virtualization/v2' -ClassName 'Msvm_ComputerSystem'
        vmms_present = $true
    }
}
if ($wmi['vmms_present'] -ne $false) {
    Complete-Probe -Probes $wmi -Key 'virtualization' -Section 'wmi.virtualization' -Namespace 'root/virtualization/v2'
}
$node['wmi'] = @{ cimv2 = $wmi['cimv2']; mscluster = $wmi['mscluster']; virtualization = $wmi['virtualization'] }
$script:Work['mscluster_ok'] = ($script:Probes['mscluster'] -eq $true)
$script:Work['mscluster_reason'] = $script:Probes['mscluster']

# Which optional modules this node has (the cluster ones come with RSAT-Clustering-PowerShell).
Invoke-Section -Name 'modules' -Target $script:Work -Keys @('modules') -BudgetSec 60 -Block {
    $found = @{}
    foreach ($module in @(Get-Module -ListAvailable -Name 'FailoverClusters', 'ClusterAwareUpdating', 'Hyper-V', 'NetLbfo', 'Storage', 'Deduplication', 'Defender', 'SmbShare')) {
        $found[[string]$module.Name] = $true
    }
    @{ modules = $found }
}
$script:Probes['failover_clusters'] = 'the FailoverClusters PowerShell module is not installed: add the RSAT-Clustering-PowerShell feature (Failover Cluster Module for Windows PowerShell)'
if ($null -eq $script:Work['modules']) {
    $script:Probes['failover_clusters'] = 'the module list could not be read'
} elseif ($script:Work['modules']['FailoverClusters']) {
    $script:Probes['failover_clusters'] = $true
}

# ---------------------------------------------------------------------------------------------
# Node sections
# ---------------------------------------------------------------------------------------------

Invoke-Section -Name 'os' -Target $node -Keys @('os') -Requires @('cimv2') -Block {
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

Invoke-Section -Name 'hotfixes' -Target $node -Keys @('hotfixes') -Requires @('cimv2') -Block {
    $list = @(Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_QuickFixEngineering' |
        Where-Object { $_.HotFixID } |
        ForEach-Object {
            $raw = ConvertTo-StringOrNull $_.InstalledOn
            $parsed = ConvertFrom-WindowsDate -Text $raw
            $installedOn = $null
            if ($null -ne $parsed) { $installedOn = ConvertTo-IsoDate -Value $parsed -DateOnly }
            @{
                id = [string]$_.HotFixID
                description = ConvertTo-StringOrNull $_.Description
                installed_on = $installedOn
                installed_on_raw = $raw
            }
        })
    @{ hotfixes = $list }
}

Invoke-Section -Name 'drivers' -Target $node -Keys @('drivers') -Requires @('cimv2') -BudgetSec 120 -Block {
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

Invoke-Section -Name 'bios' -Target $node -Keys @('bios') -Requires @('cimv2') -Block {
    $bios = Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_BIOS' | Select-Object -First 1
    @{
        bios = @{
            manufacturer = ConvertTo-StringOrNull $bios.Manufacturer
            version = ConvertTo-StringOrNull $bios.SMBIOSBIOSVersion
            release_date = ConvertTo-IsoDate -Value $bios.ReleaseDate -DateOnly
        }
    }
}

Invoke-Section -Name 'system' -Target $node -Keys @('system', 'processor') -Requires @('cimv2') -Block {
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

# fltmc's headers are localised, its data rows are not.
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

# Get-WindowsFeature reads the Server Manager WMI provider, which is known to hang: bounded.
Invoke-Section -Name 'features' -Target $node -Keys @('features', 'dedup_installed') -BudgetSec 120 -Block {
    $installed = @(Get-WindowsFeature | Where-Object { $_.Installed } | ForEach-Object { [string]$_.Name })
    @{
        features = $installed
        dedup_installed = ($installed -contains 'FS-Data-Deduplication')
    }
}

# Win32_Service State and StartMode are WMI's invariant values (Running, Stop Pending, Auto), not
# localised text; Get-Service has no start type before PowerShell 5.0.
Invoke-Section -Name 'services' -Target $node -Keys @('services') -Requires @('cimv2') -Block {
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

# A reboot the node waits for: absent keys are how Windows says "none pending".
Invoke-Section -Name 'pending_reboot' -Target $node -Keys @('pending_reboot') -Block {
    $cbs = Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
    $update = Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
    $session = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
    $renames = @(Get-OptionalProperty -Object $session -Name 'PendingFileRenameOperations' | Where-Object { $_ })
    $active = Get-OptionalProperty -Object (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName') -Name 'ComputerName'
    $next = Get-OptionalProperty -Object (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName') -Name 'ComputerName'
    $rename = ([string]$active -ne [string]$next)
    $fileRename = ($renames.Count -gt 0)
    @{
        pending_reboot = @{
            any = ($cbs -or $update -or $fileRename -or $rename)
            cbs = $cbs
            windows_update = $update
            file_rename = $fileRename
            computer_rename = $rename
        }
    }
}

Invoke-Section -Name 'cluster_node_state' -Target $node -Keys @('cluster_node_state') -Requires @('failover_clusters') -Block {
    Import-ClusterModule
    $self = Get-ClusterNode -Name $env:COMPUTERNAME
    @{ cluster_node_state = [string]$self.State }
}

# Traces a rolling upgrade leaves in the cluster hive (benign; reported, never "fixed"). The whole
# OperatingVersion key is kept: the MixedMode value name is not confirmed.
Invoke-Section -Name 'cluster_registry' -Target $node -Keys @('cluster_registry') -Block {
    $hive = Get-ItemProperty -Path 'HKLM:\Cluster'
    $operatingVersion = Test-Path -Path 'HKLM:\Cluster\OperatingVersion'
    $mixedMode = $null
    $values = $null
    if ($operatingVersion) {
        $key = Get-Item -Path 'HKLM:\Cluster\OperatingVersion'
        $values = @{}
        foreach ($valueName in $key.GetValueNames()) {
            $data = $key.GetValue($valueName)
            if ($data -is [byte[]]) { $data = ($data | ForEach-Object { $_.ToString('x2') }) -join '' }
            elseif ($data -is [string[]]) { $data = $data -join ';' }
            elseif ($data -is [int] -or $data -is [long]) { $data = [int64]$data }
            else { $data = ConvertTo-StringOrNull $data }
            $values[[string]$valueName] = $data
        }
        $mixedMode = ConvertTo-IntOrNull (Get-OptionalProperty -Object (Get-ItemProperty -Path 'HKLM:\Cluster\OperatingVersion') -Name 'MixedMode')
    }
    @{
        cluster_registry = @{
            os = ConvertTo-StringOrNull (Get-OptionalProperty -Object $hive -Name 'OS')
            os_version = ConvertTo-StringOrNull (Get-OptionalProperty -Object $hive -Name 'OSVersion')
            functional_level = ConvertTo-IntOrNull (Get-OptionalProperty -Object $hive -Name 'ClusterFunctionalLevel')
            operating_version_present = $operatingVersion
            mixed_mode = $mixedMode
            operating_version_values = $values
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
$script:Work['ntfs_disable_8dot3'] = $node['ntfs_disable_8dot3']

# Cluster disk and CSV resource names by volume, for volumes[].cluster_resource. CSVs come from the
# FailoverClusters cmdlets; other cluster disks from root\MSCluster (MSCluster_Resource ->
# MSCluster_Disk -> MSCluster_DiskPartition), which is skipped when its probe failed: a broken
# root\MSCluster takes the disk half down, not the CSV half.
Invoke-Section -Name 'volume_resources' -Target $script:Work -Keys @('resource_by_volume', 'csv_owner_by_path', 'partition_fs_by_resource') -Block {
    $byVolume = @{}
    $csvOwner = @{}
    $partitionFs = @{}
    try {
        Import-ClusterModule
        foreach ($csv in @(Get-ClusterSharedVolume)) {
            foreach ($info in @($csv.SharedVolumeInfo)) {
                $path = ConvertTo-VolumePath ([string]$info.FriendlyVolumeName)
                if ($path) {
                    $byVolume[$path.ToLowerInvariant()] = [string]$csv.Name
                    $csvOwner[$path.ToLowerInvariant()] = Get-NameOrNull $csv.OwnerNode
                }
            }
        }
    } catch {
        Add-CollectorError -Section 'volume_resources.csvs' -Message $_.Exception.Message -DurationMs $null -ErrorList $SectionErrors
    }
    if ($Work['mscluster_ok']) {
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
                    $fs = ConvertTo-StringOrNull (Get-OptionalProperty -Object $partition -Name 'FileSystem')
                    if ($fs) { $partitionFs[[string]$resource.Name] = $fs }
                }
            }
        }
    } else {
        Add-CollectorError -Section 'volume_resources.disks' -Message ('skipped: {0}' -f $Work['mscluster_reason']) -DurationMs $null -ErrorList $SectionErrors
    }
    @{ resource_by_volume = $byVolume; csv_owner_by_path = $csvOwner; partition_fs_by_resource = $partitionFs }
}

# MSFT_Volume adds FileSystemType (2016+) and HealthStatus: its own bounded section, so a failing or
# hung enrichment never wipes the volume facts (it can also list other nodes' volumes on a cluster
# node: only volumes in the local Win32_Volume list are enriched).
Invoke-Section -Name 'volume_storage' -Target $script:Work -Keys @('storage_by_path') -Block {
    $storage = @{}
    foreach ($msft in (Get-CimQuery -Namespace 'root/Microsoft/Windows/Storage' -ClassName 'MSFT_Volume')) {
        if ($msft.Path) {
            $storage[([string]$msft.Path).ToLowerInvariant()] = @{
                type = ConvertTo-EnumPair -Value (Get-OptionalProperty -Object $msft -Name 'FileSystemType') -Map $script:FileSystemTypeNames
                health = ConvertTo-EnumPair -Value (Get-OptionalProperty -Object $msft -Name 'HealthStatus') -Map $script:HealthNames
            }
        }
    }
    @{ storage_by_path = $storage }
}

Invoke-Section -Name 'volume_dedup' -Target $script:Work -Keys @('dedup_by_path') -Block {
    if ($null -eq (Get-Command -Name 'Get-DedupVolume' -ErrorAction SilentlyContinue)) {
        return @{ dedup_by_path = 'absent' }
    }
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
    @{ dedup_by_path = $map }
}

# Win32_Volume lists this node's volumes only (Get-Volume / MSFT_Volume on a cluster node can also
# return other nodes' volumes).
Invoke-Section -Name 'volumes' -Target $node -Keys @('volumes') -Requires @('cimv2') -BudgetSec 180 -Block {
    $storage = $Work['storage_by_path']
    $dedup = $Work['dedup_by_path']
    if ($dedup -eq 'absent') { $dedup = $null }
    $resources = $Work['resource_by_volume']
    $csvOwners = $Work['csv_owner_by_path']
    $partitionFs = $Work['partition_fs_by_resource']
    $registry = $Work['ntfs_disable_8dot3']
    $list = New-Object System.Collections.ArrayList
    foreach ($volume in (Get-CimQuery -Namespace 'root/cimv2' -ClassName 'Win32_Volume')) {
        $path = ConvertTo-VolumePath ([string]$volume.Name)
        if (-not $path) { continue }
        $key = $path.ToLowerInvariant()
        $deviceId = [string]$volume.DeviceID
        $msft = $null
        if ($null -ne $storage) { $msft = $storage[$deviceId.ToLowerInvariant()] }
        $typePair = @{ name = $null; code = $null }
        $healthPair = @{ name = $null; code = $null }
        if ($null -ne $msft) { $typePair = $msft.type; $healthPair = $msft.health }
        $guid = $null
        if ($deviceId -match '\{([0-9a-fA-F-]+)\}') { $guid = $Matches[1].ToLowerInvariant() }
        $fileSystem = ConvertTo-StringOrNull $volume.FileSystem
        $isCsv = ([string]$fileSystem) -like 'CSVFS*'

        $resource = $null
        if ($null -ne $resources) {
            $resource = $resources[$key]
            if ($null -eq $resource -and $guid) { $resource = $resources[$guid] }
        }
        $partition = $null
        if ($null -ne $partitionFs -and $resource) { $partition = $partitionFs[$resource] }
        $underlying = Get-UnderlyingFileSystem -FileSystem $fileSystem -TypeCode $typePair.code -PartitionFileSystem $partition

        # volumes without a mount path (e.g. System Reserved) hold no shares: left unknown, not queried
        $shortNames = $null
        if ($null -ne $registry -and $path -notlike '\\?\*') {
            try {
                $shortNames = Get-ShortNameState -Path $path -FileSystem $underlying -Registry $registry -SystemDrive $env:SystemDrive
            } catch {
                Add-CollectorError -Section 'volumes.short_names' -Message ('{0}: {1}' -f $path, $_.Exception.Message) -DurationMs $null -ErrorList $SectionErrors
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
            file_system = $fileSystem
            file_system_type = $typePair.name
            file_system_type_code = $typePair.code
            underlying_file_system = $underlying
            size = ConvertTo-IntOrNull $volume.Capacity
            free = ConvertTo-IntOrNull $volume.FreeSpace
            health = $healthPair.name
            health_code = $healthPair.code
            csv = $isCsv
            cluster_resource = $resource
            short_names = $shortNames
            dedup = $dedupFacts
        })
    }
    @{ volumes = @($list) }
}
$script:Work['underlying_by_path'] = @{}
foreach ($volume in @($node['volumes'])) {
    if ($null -ne $volume) { $script:Work['underlying_by_path'][$volume.path.ToLowerInvariant()] = $volume.underlying_file_system }
}

Invoke-Section -Name 'shares' -Target $node -Keys @('shares') -Requires @('cimv2') -Block {
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

# NIC teams (LBFO). A Hyper-V switch bound to a team is not supported on 2022+.
Invoke-Section -Name 'lbfo_teams' -Target $node -Keys @('lbfo_teams') -Block {
    if ($null -eq (Get-Command -Name 'Get-NetLbfoTeam' -ErrorAction SilentlyContinue)) {
        return @{ lbfo_teams = @() }
    }
    $list = @(Get-NetLbfoTeam | ForEach-Object {
        $nics = @($_.TeamNics | Where-Object { $_ } | ForEach-Object { [string]$_ })
        $descriptions = @($nics | ForEach-Object { [string](Get-NetAdapter -Name $_).InterfaceDescription })
        @{
            name = [string]$_.Name
            members = @($_.Members | Where-Object { $_ } | ForEach-Object { [string]$_ })
            team_nics = $nics
            interface_descriptions = $descriptions
            teaming_mode = ConvertTo-StringOrNull $_.TeamingMode
            load_balancing = ConvertTo-StringOrNull $_.LoadBalancingAlgorithm
            status = ConvertTo-StringOrNull $_.Status
        }
    })
    @{ lbfo_teams = $list }
}
$script:Work['lbfo_teams'] = $node['lbfo_teams']

# Hyper-V: VM configuration versions, virtual switches (and the LBFO team under each). Get-VM waits
# on vmms, which the field story saw stuck: bounded like every section.
Invoke-Section -Name 'hyperv' -Target $node -Keys @('hyperv') -Block {
    if ($null -eq (Get-Service -Name 'vmms' -ErrorAction SilentlyContinue) -or $null -eq (Get-Command -Name 'Get-VM' -ErrorAction SilentlyContinue)) {
        return @{ hyperv = @{ present = $false } }
    }
    $teamByDescription = @{}
    foreach ($team in @($Work['lbfo_teams'])) {
        if ($null -eq $team) { continue }
        foreach ($description in @($team.interface_descriptions)) { if ($description) { $teamByDescription[$description] = $team.name } }
    }
    $vms = @(Get-VM | ForEach-Object {
        $clustered = Get-OptionalProperty -Object $_ -Name 'IsClustered'
        if ($null -ne $clustered) { $clustered = [bool]$clustered }
        @{
            name = [string]$_.Name
            version = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'Version')
            state = ConvertTo-StringOrNull $_.State
            is_clustered = $clustered
        }
    })
    $switches = @(Get-VMSwitch | ForEach-Object {
        $description = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'NetAdapterInterfaceDescription')
        $embedded = Get-OptionalProperty -Object $_ -Name 'EmbeddedTeamingEnabled'
        if ($null -ne $embedded) { $embedded = [bool]$embedded }
        $team = $null
        if ($description) { $team = $teamByDescription[$description] }
        @{
            name = [string]$_.Name
            switch_type = ConvertTo-StringOrNull $_.SwitchType
            interface_description = $description
            embedded_teaming = $embedded
            lbfo_team = $team
        }
    })
    $supported = $null
    if ($null -ne (Get-Command -Name 'Get-VMHostSupportedVersion' -ErrorAction SilentlyContinue)) {
        $supported = @(Get-VMHostSupportedVersion | ForEach-Object { [string]$_.Version })
    }
    @{ hyperv = @{ present = $true; vms = $vms; switches = $switches; supported_versions = $supported } }
}

# Critical cluster events in the System log within the window. "No events" is an error record
# whose FullyQualifiedErrorId (not its localised text) says NoMatchingEventsFound.
Invoke-Section -Name 'cluster_events' -Target $node -Keys @('cluster_events') -Block {
    $ids = @(1069, 1135, 1136, 1146, 1230, 7031)
    $since = [datetime]::UtcNow.AddDays(-$EventWindowDays)
    $events = @()
    try {
        $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = $ids; StartTime = $since.ToLocalTime() } -MaxEvents 2000 -ErrorAction Stop)
    } catch {
        if ([string]$_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
    }
    $counts = @{}
    $list = New-Object System.Collections.ArrayList
    foreach ($event in $events) {
        $id = [int]$event.Id
        $key = [string]$id
        if ($counts.ContainsKey($key)) { $counts[$key] = $counts[$key] + 1 } else { $counts[$key] = 1 }
        if ($counts[$key] -gt 50) { continue }
        $message = Get-OneLine $event.Message
        if ($message.Length -gt 300) { $message = $message.Substring(0, 300) }
        $service = $null
        if ($id -eq 7031 -and @($event.Properties).Count -gt 0) { $service = ConvertTo-StringOrNull $event.Properties[0].Value }
        $level = $null
        if ($null -ne $event.Level) { $level = (ConvertTo-EnumPair -Value ([int]$event.Level) -Map $script:EventLevelNames).name }
        [void]$list.Add(@{
            id = $id
            provider = ConvertTo-StringOrNull $event.ProviderName
            time = ConvertTo-IsoDate -Value $event.TimeCreated
            level = $level
            message = ConvertTo-StringOrNull $message
            service = $service
        })
    }
    @{
        cluster_events = @{
            window_days = $EventWindowDays
            since = ConvertTo-IsoDate -Value $since
            ids = $ids
            counts = $counts
            events = @($list)
        }
    }
}

# ---------------------------------------------------------------------------------------------
# Cluster as seen from this node (null when this node cannot read the cluster at all)
# ---------------------------------------------------------------------------------------------

$cluster = @{ errors = $script:ClusterErrors }
$work = $script:Work

Invoke-Section -Name 'cluster' -Target $work -Keys @('cluster_head') -Requires @('failover_clusters') -Block {
    Import-ClusterModule
    $info = Get-Cluster
    $level = ConvertTo-IntOrNull (Get-OptionalProperty -Object $info -Name 'ClusterFunctionalLevel')
    $s2d = Get-OptionalProperty -Object $info -Name 'S2DEnabled'
    $osVersion = [string][System.Environment]::OSVersion.Version
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
        Import-ClusterModule
        $list = @(Get-ClusterNode | ForEach-Object {
            $drain = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'DrainStatus')
            $status = ConvertTo-NodeStatus (Get-OptionalProperty -Object $_ -Name 'StatusInformation')
            @{
                name = [string]$_.Name
                state = [string]$_.State
                drain_status = $drain
                status_information = $status.names
                status_code = $status.code
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
        Import-ClusterModule
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
        Import-ClusterModule
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

    # Possible owners for every resource from ONE pipeline (Get-ClusterOwnerNode per resource costs a
    # cmdlet run each: minutes on a large Hyper-V cluster).
    Invoke-Section -Name 'cluster.resources' -Target $cluster -Keys @('resources') -ErrorList $script:ClusterErrors -Block {
        Import-ClusterModule
        $csvNames = @(Get-ClusterSharedVolume | ForEach-Object { [string]$_.Name })
        $resources = @(Get-ClusterResource)
        $ownersByName = $null
        try {
            $ownersByName = @{}
            foreach ($entry in @($resources | Get-ClusterOwnerNode)) {
                $owner = Get-NameOrNull (Get-OptionalProperty -Object $entry -Name 'ClusterObject')
                $ownersByName[[string]$owner] = @($entry.OwnerNodes | ForEach-Object { Get-NameOrNull $_ })
            }
        } catch {
            $ownersByName = $null
            Add-CollectorError -Section 'cluster.resources.possible_owners' -Message $_.Exception.Message -DurationMs $null -ErrorList $SectionErrors
        }
        $list = New-Object System.Collections.ArrayList
        foreach ($resource in $resources) {
            $owners = $null
            if ($null -ne $ownersByName -and $ownersByName.ContainsKey([string]$resource.Name)) { $owners = $ownersByName[[string]$resource.Name] }
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

    # Get-ClusterSharedVolumeState returns every node's row: all are kept (scanner/facts.py merges the
    # rows of every node's view) and the CSV's own state_info is its worst row.
    Invoke-Section -Name 'cluster.csvs' -Target $cluster -Keys @('csvs') -ErrorList $script:ClusterErrors -Block {
        Import-ClusterModule
        $rowsByCsv = @{}
        foreach ($state in @(Get-ClusterSharedVolumeState)) {
            $csvName = [string](Get-FirstProperty -Object $state -Names @('Name', 'VolumeName'))
            if (-not $rowsByCsv.ContainsKey($csvName)) { $rowsByCsv[$csvName] = New-Object System.Collections.ArrayList }
            [void]$rowsByCsv[$csvName].Add(@{
                node = Get-NameOrNull (Get-OptionalProperty -Object $state -Name 'Node')
                state_info = ConvertTo-StringOrNull (Get-FirstProperty -Object $state -Names @('StateInfo', 'State'))
                redirected_reason = ConvertTo-StringOrNull (Get-FirstProperty -Object $state -Names @('FileSystemRedirectedIOReason', 'RedirectedIOReason'))
                block_redirected_reason = ConvertTo-StringOrNull (Get-OptionalProperty -Object $state -Name 'BlockRedirectedIOReason')
            })
        }
        $underlyingByPath = $Work['underlying_by_path']
        $list = New-Object System.Collections.ArrayList
        foreach ($csv in @(Get-ClusterSharedVolume)) {
            $info = @($csv.SharedVolumeInfo) | Select-Object -First 1
            $partition = Get-OptionalProperty -Object $info -Name 'Partition'
            $percentFree = Get-OptionalProperty -Object $partition -Name 'PercentFree'
            if ($null -ne $percentFree) { $percentFree = [double]$percentFree }
            $path = ConvertTo-VolumePath ([string](Get-OptionalProperty -Object $info -Name 'FriendlyVolumeName'))
            $underlying = $null
            if ($path -and $null -ne $underlyingByPath) { $underlying = $underlyingByPath[$path.ToLowerInvariant()] }
            $rows = @()
            if ($rowsByCsv.ContainsKey([string]$csv.Name)) { $rows = @($rowsByCsv[[string]$csv.Name]) }
            $worst = $null
            foreach ($row in $rows) {
                if ($null -eq $worst -or (Get-CsvStateRank $row.state_info) -gt (Get-CsvStateRank $worst.state_info)) { $worst = $row }
            }
            $entry = @{
                name = [string]$csv.Name
                owner_node = Get-NameOrNull $csv.OwnerNode
                state = ConvertTo-StringOrNull $csv.State
                path = $path
                file_system = ConvertTo-StringOrNull (Get-OptionalProperty -Object $partition -Name 'FileSystem')
                underlying_file_system = $underlying
                percent_free = $percentFree
                states = $rows
            }
            # The CSV's own state and reasons are its worst row's (null when no node reported a row).
            foreach ($key in @('state_info', 'redirected_reason', 'block_redirected_reason')) {
                $entry[$key] = $null
                if ($null -ne $worst) { $entry[$key] = $worst[$key] }
            }
            [void]$list.Add($entry)
        }
        @{ csvs = @($list) }
    }

    Invoke-Section -Name 'cluster.networks' -Target $cluster -Keys @('networks', 'network_interfaces') -ErrorList $script:ClusterErrors -Block {
        Import-ClusterModule
        $networks = @(Get-ClusterNetwork | ForEach-Object {
            $role = ConvertTo-EnumPair -Value (Get-OptionalProperty -Object $_ -Name 'Role') -Map $script:NetworkRoleNames
            @{
                name = [string]$_.Name
                state = ConvertTo-StringOrNull $_.State
                role = $role.name
                role_code = $role.code
                address = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'Address')
            }
        })
        $interfaces = @(Get-ClusterNetworkInterface | ForEach-Object {
            @{
                name = [string]$_.Name
                node = Get-NameOrNull (Get-OptionalProperty -Object $_ -Name 'Node')
                network = Get-NameOrNull (Get-OptionalProperty -Object $_ -Name 'Network')
                state = ConvertTo-StringOrNull $_.State
            }
        })
        @{ networks = $networks; network_interfaces = $interfaces }
    }

    # Cluster-Aware Updating: the CAU clustered role (resource type ClusterAwareUpdatingResource) and
    # any updating run in progress, self-updating or started from another machine.
    Invoke-Section -Name 'cluster.cau' -Target $cluster -Keys @('cau') -ErrorList $script:ClusterErrors -Block {
        Import-ClusterModule
        $roleResource = @(Get-ClusterResource | Where-Object { (Get-NameOrNull $_.ResourceType) -eq 'ClusterAwareUpdatingResource' }) | Select-Object -First 1
        $rolePresent = ($null -ne $roleResource)
        $roleStatus = $null
        if ($rolePresent) { $roleStatus = [string]$roleResource.State }
        $runInProgress = $null
        $runId = $null
        $runStarted = $null
        $orchestrator = $null
        if ($null -eq (Get-Module -ListAvailable -Name 'ClusterAwareUpdating')) {
            Add-CollectorError -Section 'cluster.cau.run' -Message 'the ClusterAwareUpdating PowerShell module is not installed: add the RSAT-Clustering-PowerShell feature' -DurationMs $null -ErrorList $SectionErrors
        } else {
            Import-Module -Name 'ClusterAwareUpdating'
            try {
                foreach ($parameter in @(Get-CauClusterRole)) {
                    $rolePresent = $true
                    if ([string](Get-OptionalProperty -Object $parameter -Name 'Name') -eq 'Status') { $roleStatus = [string]$parameter.Value }
                }
            } catch {
                if ($rolePresent) { Add-CollectorError -Section 'cluster.cau.role' -Message $_.Exception.Message -DurationMs $null -ErrorList $SectionErrors }
            }
            try {
                $run = Get-CauRun
                $runInProgress = -not ($null -eq $run -or [string]$run -match 'RunNotInProgress')
                if ($runInProgress) {
                    $runId = ConvertTo-StringOrNull (Get-OptionalProperty -Object $run -Name 'RunId')
                    $runStarted = ConvertTo-IsoDate -Value (Get-OptionalProperty -Object $run -Name 'RunStartTime')
                    $orchestrator = ConvertTo-StringOrNull (Get-OptionalProperty -Object $run -Name 'CurrentOrchestrator')
                }
            } catch {
                Add-CollectorError -Section 'cluster.cau.run' -Message $_.Exception.Message -DurationMs $null -ErrorList $SectionErrors
            }
        }
        $roleEnabled = $false
        if ($rolePresent) { $roleEnabled = ($roleStatus -eq 'Online') }
        @{
            cau = @{
                role_present = $rolePresent
                role_status = $roleStatus
                role_enabled = $roleEnabled
                run_in_progress = $runInProgress
                run_id = $runId
                run_started = $runStarted
                orchestrator = $orchestrator
            }
        }
    }

    # Storage Spaces (Direct): pools, virtual disks, pooled physical disks, storage jobs. The Storage
    # cmdlets hand back names or raw numbers depending on the version: both are mapped.
    Invoke-Section -Name 'cluster.storage' -Target $cluster -Keys @('storage') -ErrorList $script:ClusterErrors -Block {
        if ($null -eq (Get-Command -Name 'Get-StoragePool' -ErrorAction SilentlyContinue)) {
            return @{ storage = @{ pools = @(); virtual_disks = @(); physical_disks = @(); jobs = @() } }
        }
        $poolObjects = @(Get-StoragePool | Where-Object { -not $_.IsPrimordial })
        $pools = @($poolObjects | ForEach-Object {
            $version = ConvertTo-EnumPair -Value (Get-OptionalProperty -Object $_ -Name 'Version') -Map $script:StoragePoolVersionNames
            $clustered = Get-OptionalProperty -Object $_ -Name 'IsClustered'
            if ($null -ne $clustered) { $clustered = [bool]$clustered }
            Get-StorageStatus -Object $_ -Row @{
                name = [string]$_.FriendlyName
                is_clustered = $clustered
                version = $version.name
                version_code = $version.code
            }
        })
        $virtualDisks = @(Get-VirtualDisk | ForEach-Object { Get-StorageStatus -Object $_ -Row @{ name = [string]$_.FriendlyName } })
        $physicalDisks = @($poolObjects | Get-PhysicalDisk | ForEach-Object {
            $row = Get-StorageStatus -Object $_ -Row @{
                name = [string]$_.FriendlyName
                serial = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'SerialNumber')
                usage = ConvertTo-StringOrNull (Get-OptionalProperty -Object $_ -Name 'Usage')
                in_maintenance = $null
            }
            # A number left unnamed could be the maintenance state: then the answer is unknown.
            $maintenance = $false
            if (@($row.operational_status | Where-Object { $_ -match '^\d+$' }).Count -gt 0) { $maintenance = $null }
            if (@($row.operational_status | Where-Object { $_ -match 'Maintenance' }).Count -gt 0) { $maintenance = $true }
            $row.in_maintenance = $maintenance
            $row
        })
        $jobs = @()
        if ($null -ne (Get-Command -Name 'Get-StorageJob' -ErrorAction SilentlyContinue)) {
            $jobs = @(Get-StorageJob | ForEach-Object {
                $state = ConvertTo-EnumPair -Value $_.JobState -Map $script:JobStateNames
                $background = Get-OptionalProperty -Object $_ -Name 'IsBackgroundTask'
                if ($null -ne $background) { $background = [bool]$background }
                @{
                    name = [string]$_.Name
                    job_state = $state.name
                    job_state_code = $state.code
                    percent_complete = ConvertTo-IntOrNull (Get-OptionalProperty -Object $_ -Name 'PercentComplete')
                    is_background_task = $background
                }
            })
        }
        @{ storage = @{ pools = $pools; virtual_disks = $virtualDisks; physical_disks = $physicalDisks; jobs = $jobs } }
    }
} else {
    $cluster = $null
}

# Exactly one output object: the JSON text, or (-CompressOutput, how the scanner runs it over WinRM)
# the same text as UTF-8, gzip-compressed and base64-encoded behind a prefix: a cluster view names
# every node once per resource, ~20 times smaller compressed (scanner/collect/wire.py).
$output = @{ collector_version = $CollectorVersion; node = $node; cluster = $cluster }
# If compressing fails, the plain JSON goes out: the scanner reads both.
$json = ConvertTo-Json -InputObject $output -Depth 8 -Compress
$text = $json
if ($CompressOutput) {
    try {
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($json)
        $buffer = New-Object System.IO.MemoryStream
        $gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $buffer, ([System.IO.Compression.CompressionMode]::Compress)
        $gzip.Write($bytes, 0, $bytes.Length)
        $gzip.Close()
        # ToArray still reads a closed MemoryStream; Close flushed the gzip trailer into it.
        $text = 'rollready-gzip-base64:' + [System.Convert]::ToBase64String($buffer.ToArray())
    } catch {
        $text = $json
    }
}
$text
