global using CimiGrains.Common;
global using Orleans.Runtime;
