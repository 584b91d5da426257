Write-Host "Hello"
