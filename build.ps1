<#
.SYNOPSIS
  Merlinite.Native build entry point for PowerShell (pwsh on Linux). Same actions as build.sh.
.DESCRIPTION
  ./build.ps1            restore (dotnet + npm) and publish the AOT binary to ./bin/merlinite
  ./build.ps1 test       build, then run every test project; prints "N passed, N failed, N skipped"
  ./build.ps1 run        build if needed, then run the main job
  ./build.ps1 headers    fetch llama.cpp v0.5.0's headers into the ignored .cache/llama.cpp
  ./build.ps1 clean      remove build outputs
  -Cuda                  use the CUDA 13 prebuilt of llama.cpp instead of the CPU one
  -NativeCpu             build llama.cpp's CPU backend from the pinned source for this machine (see build.sh)
#>
param(
    [ValidateSet('build', 'test', 'run', 'headers', 'clean')]
    [string]$Action = 'build',
    [switch]$Cuda,
    [switch]$NativeCpu
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$LlamaNpmVersion = '3.22.1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'

if (-not $IsLinux) { throw 'build.ps1: only Linux x64 is supported (the pinned llama.cpp prebuilts are linux-x64).' }
function Say([string]$m) { Write-Host "==> $m" -ForegroundColor Blue }
function Need([string]$cmd, [string]$why) { if (-not (Get-Command $cmd -ErrorAction SilentlyContinue)) { throw "build.ps1: $cmd is required ($why)" } }

function Install-NativeCpuLibs {
    if ((Test-Path native/lib/.variant) -and (Get-Content native/lib/.variant) -eq 'native-cpu') { return }
    Get-Headers; Need cmake 'builds llama.cpp'; Need g++ 'builds llama.cpp'
    Say 'building llama.cpp (v0.5.0 source bundle) for this CPU into .cache/llama-native'
    cmake -S .cache/llama.cpp -B .cache/llama-native -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON `
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=OFF `
        -DLLAMA_BUILD_COMMON=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_HTML=OFF | Out-Null
    if ($LASTEXITCODE) { throw 'cmake configure failed' }
    cmake --build .cache/llama-native --target llama -j ([Environment]::ProcessorCount) | Out-Null
    if ($LASTEXITCODE) { throw 'llama.cpp build failed' }
    Remove-Item -Recurse -Force native/lib -ErrorAction SilentlyContinue
    New-Item -ItemType Directory native/lib | Out-Null
    Get-ChildItem .cache/llama-native/bin -Filter 'lib*.so*' | Where-Object { $_.Name -match '\.so(\.0)?$' } | ForEach-Object { Copy-Item $_.FullName native/lib/ }
    Set-Content native/lib/.variant 'native-cpu'
}

function Install-NativeLibs {
    if ($NativeCpu) { Install-NativeCpuLibs; return }
    $dir = if ($Cuda) { 'native/cuda' } else { 'native' }
    $pkg = if ($Cuda) { 'linux-x64-cuda' } else { 'linux-x64' }
    $src = "$dir/node_modules/@node-llama-cpp/$pkg/bins/$pkg"
    if (-not (Test-Path $src)) {
        Say "npm ci ($dir): @node-llama-cpp/$pkg@$LlamaNpmVersion"
        Push-Location $dir; try { npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; if ($LASTEXITCODE) { throw 'npm ci failed' } } finally { Pop-Location }
    }
    $stamp = 'native/lib/.variant'
    if (-not (Test-Path $stamp) -or (Get-Content $stamp) -ne $pkg) {
        Remove-Item -Recurse -Force native/lib -ErrorAction SilentlyContinue
        New-Item -ItemType Directory native/lib | Out-Null
        Copy-Item "$src/*.so" native/lib/
        Remove-Item -Force native/lib/libllama-common.so -ErrorAction SilentlyContinue
        Set-Content $stamp $pkg
    }
}

function Get-Headers {
    if (Test-Path .cache/llama.cpp/include/llama.h) { return }
    Say "fetching llama.cpp v0.5.0 headers into .cache/"
    New-Item -ItemType Directory -Force .cache | Out-Null
    Push-Location .cache
    try {
        npm pack "node-llama-cpp@$LlamaNpmVersion" --loglevel=error | Out-Null
        tar xzf "node-llama-cpp-$LlamaNpmVersion.tgz" package/llama/gitRelease.bundle
        git clone -q package/llama/gitRelease.bundle llama.cpp
        Remove-Item -Recurse -Force package, "node-llama-cpp-$LlamaNpmVersion.tgz"
    } finally { Pop-Location }
}

function Publish {
    Need dotnet 'the .NET 10 SDK'; Need npm 'fetches the pinned llama.cpp libraries'; Need gcc 'Native AOT linking'
    Install-NativeLibs
    Say 'dotnet publish (Native AOT) -> bin/merlinite'
    $log = dotnet publish src/Merlinite.Cli/Merlinite.Cli.csproj -c Release -o bin -nologo -v:q 2>&1
    if ($LASTEXITCODE) { $log | Write-Host; throw 'publish failed' }
    $warnings = $log | Select-String -Pattern 'warning IL[0-9]{4}'
    if ($warnings) { $warnings | Write-Host; throw 'AOT/trim warnings (see above)' }
    Remove-Item bin/*.so, bin/*.so.* -ErrorAction SilentlyContinue
    Copy-Item native/lib/*.so* bin/
    Remove-Item bin/*.pdb, bin/*.dbg -ErrorAction SilentlyContinue
}

function Test-All {
    Publish; Get-Headers
    Say 'dotnet test'
    $out = dotnet test Merlinite.Native.sln -c Release -nologo 2>&1 | Tee-Object -Variable lines
    $rc = $LASTEXITCODE
    $p = 0; $f = 0; $s = 0
    foreach ($l in $lines) {
        if ("$l" -match 'Failed:\s*(\d+),\s*Passed:\s*(\d+),\s*Skipped:\s*(\d+)') { $f += [int]$Matches[1]; $p += [int]$Matches[2]; $s += [int]$Matches[3] }
    }
    Write-Host "$p passed, $f failed, $s skipped"
    if ($p + $f -eq 0) { throw 'no tests ran' }
    exit $rc
}

switch ($Action) {
    'clean' { Remove-Item -Recurse -Force bin, native/lib, artifacts -ErrorAction SilentlyContinue; Get-ChildItem src, tests -Directory -Recurse -Include bin, obj | Remove-Item -Recurse -Force }
    'headers' { Get-Headers }
    'build' { Publish }
    'test' { Test-All }
    'run' { if (-not (Test-Path bin/merlinite)) { Publish }; & ./recipes/run-default.sh; exit $LASTEXITCODE }
}
