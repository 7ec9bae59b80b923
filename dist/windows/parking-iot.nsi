; Windows installer of parking-iot (NSIS 3): a per-user install (no administrator rights)
; into %LOCALAPPDATA%\Programs\parking-iot, a Start menu entry, an uninstaller listed in
; "Installed apps". The data in %APPDATA%\parking-iot is the user's and stays on uninstall.
;
;   makensis /DVERSION=0.1.0 /DEXE=..\..\target\release\parking-iot.exe dist\windows\parking-iot.nsi
;
; VERSION is required (the release workflow passes Cargo.toml's); EXE and OUTFILE have
; defaults. makensis runs from this file's folder, so relative paths start here.

Unicode true

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z parking-iot.nsi"
!endif
!ifndef EXE
  !define EXE "../../target/release/parking-iot.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "../../target/release/parking-iot-${VERSION}-windows-x64-setup.exe"
!endif
!define NAME "NYC Smart Parking IoT"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\parking-iot"

Name "${NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\parking-iot"
InstallDirRegKey HKCU "Software\parking-iot" "InstallDir"
RequestExecutionLevel user
SetCompressor /SOLID lzma

; The installer's own version resource (four numbers).
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "FileDescription" "${NAME} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!include "MUI2.nsh"
!define MUI_ICON "../../assets/icons/parking-iot.ico"
!define MUI_UNICON "../../assets/icons/parking-iot.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\parking-iot.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${NAME}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Install"
  SetOutPath "$INSTDIR"
  File "/oname=parking-iot.exe" "${EXE}"
  File "/oname=README.md" "../../README.md"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\parking-iot.exe" "" "$INSTDIR\parking-iot.exe" 0
  WriteRegStr HKCU "Software\parking-iot" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "parking-iot"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\parking-iot.exe,0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" "$\"$INSTDIR\uninstall.exe$\""
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\parking-iot.exe"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\parking-iot"
SectionEnd
