# Greets every VM in the inventory: the smallest useful PowerCLI sample.
param([Parameter(Mandatory)][string]$Server)

Connect-VIServer -Server $Server | Out-Null
Get-VM | ForEach-Object { Write-Host "Hello, $($_.Name)!" }
Disconnect-VIServer -Server $Server -Confirm:$false
