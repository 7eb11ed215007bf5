global using CimiGrains.Common;
