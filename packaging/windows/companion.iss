; Inno Setup 6 script: a per-user installer for the Windows bundle.
;
; Build the bundle first (python packaging\build.py), then, from the repository root:
;   iscc packaging\windows\companion.iss
; which writes build\packaging\installer\streamer-companion-<version>-setup.exe.
; Paths below are relative to this file (Inno Setup's default SourceDir).
; AppVersion must equal companion.__version__ (tests/packaging checks it); a release
; script may also pass it: iscc /DAppVersion=1.2.3 packaging\windows\companion.iss
; It must stay numeric (x.y.z): VersionInfoVersion takes nothing else.
; Needs Inno Setup 6.3 or later (the x64compatible architecture identifier).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Streamer Companion"
#define AppExeName "streamer-companion.exe"
#define BundleDir "..\..\build\packaging\dist\streamer-companion"
#define IconFile "..\..\build\packaging\icons\companion.ico"

[Setup]
; Never change AppId: Windows finds earlier installs (upgrade, uninstall) by it.
AppId={{3314CD1B-A81D-409F-8BEE-CAA24D76F01B}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Streamer Companion team
VersionInfoVersion={#AppVersion}
; Per-user: no administrator rights, installed under %LOCALAPPDATA%\Programs
; ({autopf} resolves there when running without elevation).
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\packaging\installer
OutputBaseFilename=streamer-companion-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; The app holds a single-instance lock; ask before replacing files it has open.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; The uninstaller removes what [Files] and [Icons] installed. The user's data folder
; (%APPDATA%\streamer-companion: settings, log, ledger) and the tokens in Credential
; Manager are the user's and stay, as with any uninstall.
