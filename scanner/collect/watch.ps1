# rollready-watch-version: 1
# rollready watch: the light scan run every few minutes during mixed mode. Read-only.
# Cluster members and their builds, role owners, and every disk resource with its possible owners:
# what decides whether a deduplicated volume could fail back to an older node. One JSON document out.
# PowerShell 4.0 compatible. Every call is local ("the local cluster"): no second hop.
$ErrorActionPreference = 'Stop'
Import-Module FailoverClusters
$nodes = @(Get-ClusterNode | ForEach-Object {
    New-Object PSObject -Property @{
        name = [string]$_.Name; state = [string]$_.State
        major_version = [int]$_.MajorVersion; minor_version = [int]$_.MinorVersion; build_number = [int]$_.BuildNumber
    }
})
$groups = @(Get-ClusterGroup | ForEach-Object {
    New-Object PSObject -Property @{ name = [string]$_.Name; owner_node = [string]$_.OwnerNode; state = [string]$_.State }
})
$disks = @(Get-ClusterResource | Where-Object { $_.ResourceType.Name -eq 'Physical Disk' } | ForEach-Object {
    $resource = $_
    $owners = @(($resource | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { [string]$_.Name })
    New-Object PSObject -Property @{
        name = [string]$resource.Name; owner_group = [string]$resource.OwnerGroup
        owner_node = [string]$resource.OwnerNode; state = [string]$resource.State; possible_owners = $owners
    }
})
$doc = New-Object PSObject -Property @{
    watch_version = '1'
    cluster = [string](Get-Cluster).Name
    collected_at = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
    nodes = $nodes; groups = $groups; disks = $disks
}
$doc | ConvertTo-Json -Depth 5 -Compress
